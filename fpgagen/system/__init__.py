"""Around the core: the Vivado block design and the host drivers of a build."""
