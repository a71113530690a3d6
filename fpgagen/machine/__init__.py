"""The machine both code generators build, lowered from Plan + QGraph: the layer table, its engine
rows, memory images and columns, the design rules."""
