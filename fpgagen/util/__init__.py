"""Plumbing every stage uses: data folders, templates, atomic files, progress, JUnit."""
