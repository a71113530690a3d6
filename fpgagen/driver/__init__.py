"""The host-side driver that ``fpgagen build`` copies into a build's ``driver/`` folder.

``fpgagen_driver.py`` is standalone (numpy only; ``pynq`` imported lazily by the board class),
so it runs on a PYNQ board without fpgagen installed; the compiler and the tests import its
pure functions from here, so the bytes the driver sends are the bytes the benches send.
"""
