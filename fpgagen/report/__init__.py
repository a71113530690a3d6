"""The build report (report.json, report.md) and its pictures."""
