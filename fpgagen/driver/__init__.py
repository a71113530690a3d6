"""The host drivers that ``fpgagen build`` copies into a build's ``driver/`` folder.

``fpgagen_driver.py`` is standalone (numpy and the standard library; ``pynq`` imported lazily by
the board class), so it runs on a PYNQ board without fpgagen installed; the compiler and the
tests import its pure functions from here, so the bytes the driver sends are the bytes the
benches send. ``fpgagen_driver.c`` / ``.h`` are the bare-metal C driver (C99, no Xilinx BSP),
reading the build's constants from the generated ``fpgagen_build.h``.
"""
