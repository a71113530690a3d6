"""Reference loop nests of the address generators, written the obvious way (multiplies,
modulo) so the incremental hardware (hw/fg_*_agu.v) is checked against plain arithmetic.

A geometry is a dict of the layer's plain figures (what fpgagen's LayerEntry holds); the
`*_cfg` functions derive the per-layer steps the hardware gets, the `*_beats` functions list
every beat the hardware must issue, in order.
"""

from __future__ import annotations

import random


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def random_conv(rng: random.Random, aw: int, nw: int, g: int, packed: bool,
                pp: int = 1) -> dict:
    """A random conv geometry (small, with padding, strides, rings). With ``pp`` pixel banks
    (a pixel-parallel engine) an arena conv has stride 1 (the engine's rule); the packed
    staging layout keeps its strides (its pixel index is flat)."""
    k = rng.choice([1, 1, 3, 3, 5, 2])
    s = rng.choice([1, 1, 2, 3]) if pp == 1 or packed else 1
    pad = rng.randint(0, k // 2 + (1 if k > 1 else 0))
    in_h, in_w = rng.randint(max(1, k - 2 * pad), 9), rng.randint(max(1, k - 2 * pad), 9)
    out_h = (in_h + 2 * pad - k) // s + 1
    out_w = (in_w + 2 * pad - k) // s + 1
    taps = rng.choice([2, 4]) if packed else 1
    geo = dict(k=k, s=s, pad=pad, in_h=in_h, in_w=in_w, out_h=out_h, out_w=out_w, taps=taps,
               cb=1 if packed else rng.randint(1, 3),
               in_base=rng.randrange(1 << aw), in_stride=1,
               og=rng.randint(1, 5), w_base=rng.randrange(1 << 10), b_base=rng.randrange(64),
               out_base=rng.randrange(1 << aw), ring=0, pp=pp)
    if not packed:
        geo["in_stride"] = geo["cb"] + rng.randint(0, 2)
    else:
        geo["in_base"] = 0
    geo["out_blocks"] = rng.randint(1, max(1, geo["og"] * nw // g + 1))
    geo["out_stride"] = geo["out_blocks"] + rng.randint(0, 2)
    if rng.random() < 0.4:
        geo["ring"] = rng.randint(1, out_h + 1)
    return geo


def conv_cfg(geo: dict, aw: int, cw: int) -> dict:
    """The per-layer steps of fg_conv_agu (what fpgagen/machine/engine_table.py computes).

    With ``pp`` pixel banks ox counts groups of pp output pixels. An arena conv (stride 1)
    then reads group addresses: pixel x of a row in bank x mod pp at group x div pp, rows of
    ceil(W / pp) groups, the origin the group of pixel -pad, its phase (-pad) mod pp; the
    packed staging layout keeps flat pixel indices (a group steps s * pp pixels)."""
    m = (1 << aw) - 1
    k, s, pad, taps, pp = geo["k"], geo["s"], geo["pad"], geo["taps"], geo.get("pp", 1)
    kx_groups = ceil_div(k, taps)
    out_groups = ceil_div(geo["out_w"], pp)
    staged = taps > 1
    if pp > 1 and not staged:
        row_step = ceil_div(geo["in_w"], pp) * geo["in_stride"]
        origin = geo["in_base"] - pad * row_step + ((-pad) // pp) * geo["in_stride"]
        ox_step = geo["in_stride"]
        ph0, kx_pix = (-pad) % pp, 1
    else:
        row_step = geo["in_w"] * geo["in_stride"]
        origin = geo["in_base"] - pad * row_step - pad * geo["in_stride"]
        ox_step = s * pp * geo["in_stride"]
        ph0, kx_pix = 0, 0
    kx_step = taps if staged else geo["in_stride"]
    return dict(
        cb_last=geo["cb"] - 1, kx_last=kx_groups - 1, ky_last=k - 1, og_last=geo["og"] - 1,
        ox_last=out_groups - 1, oy_last=geo["out_h"] - 1,
        origin=origin & m, ph0=ph0, kx_pix=kx_pix,
        kx_step=kx_step & m, ky_step=row_step & m, ox_step=ox_step & m,
        oy_step=(s * row_step) & m, ix_step=taps, ix_ox_step=s * pp, stride=s, pad=pad,
        kernel=k, w_base=geo["w_base"], b_base=geo["b_base"], out_base=geo["out_base"],
        out_stride=geo["out_stride"] & m,
        out_row_step=(out_groups * geo["out_stride"]) & m,
        out_ring_last=(geo["ring"] - 1) if geo["ring"] else (1 << cw) - 1,
        out_blocks=geo["out_blocks"])


def conv_beats(geo: dict, aw: int, nw: int, g: int) -> list[tuple]:
    """(first, last, addr, phase, iy, ix, kleft, waddr, baddr, oaddr, st_left, group) per
    beat; with pixel banks ox is the group and addr, phase the group address and bank of the
    tap's pixel (see `conv_cfg`)."""
    m = (1 << aw) - 1
    k, s, pad, taps, pp = geo["k"], geo["s"], geo["pad"], geo["taps"], geo.get("pp", 1)
    kx_groups = ceil_div(k, taps)
    out_groups = ceil_div(geo["out_w"], pp)
    banked = pp > 1 and taps == 1
    in_groups = ceil_div(geo["in_w"], pp)
    beats = []
    for oy in range(geo["out_h"]):
        orow = oy % geo["ring"] if geo["ring"] else oy
        for ox in range(out_groups):
            opix = geo["out_base"] + (orow * out_groups + ox) * geo["out_stride"]
            waddr = geo["w_base"]
            for og in range(geo["og"]):
                word = og * nw if g == 1 else og // g
                for ky in range(k):
                    for kx in range(kx_groups):
                        for cb in range(geo["cb"]):
                            iy = oy * s - pad + ky
                            ix = ox * s * pp - pad + kx * taps
                            phase = 0
                            if banked:
                                phase = ix % pp
                                addr = geo["in_base"] + (iy * in_groups + ix // pp) * \
                                    geo["in_stride"] + cb
                            else:
                                addr = geo["in_base"] + (iy * geo["in_w"] + ix) * \
                                    geo["in_stride"] + cb
                            beats.append((
                                ky == 0 and kx == 0 and cb == 0,
                                ky == k - 1 and kx == kx_groups - 1 and cb == geo["cb"] - 1,
                                addr & m, phase, iy, ix, k - kx * taps, waddr & 0xFFF,
                                (geo["b_base"] + og) & 0xFF, (opix + word) & m,
                                geo["out_blocks"] - word, og % g))
                            waddr += 1
    return beats


def random_pool(rng: random.Random, aw: int, cw: int) -> dict:
    """A random max-pool geometry: ceil-mode overhang, padding, column reuse, rings."""
    k = rng.choice([2, 3, 3, 4, 1, 5])
    s = rng.choice([1, 2, 2, 3]) if k > 1 else rng.choice([1, 2])
    pad = rng.randint(0, (k - 1) // 2) if rng.random() < 0.5 else 0
    in_h, in_w = rng.randint(k, 11), rng.randint(max(1, k - pad), 11)
    out_h = ceil_div(in_h + 2 * pad - k, s) + 1
    out_w = ceil_div(in_w + 2 * pad - k, s) + 1
    if (out_h - 1) * s >= in_h + pad:
        out_h -= 1
    if (out_w - 1) * s >= in_w + pad:
        out_w -= 1
    cb = rng.randint(1, 5)
    geo = dict(k=k, s=s, pad=pad, in_h=in_h, in_w=in_w, out_h=out_h, out_w=out_w, cb=cb,
               in_base=rng.randrange(1 << aw), in_stride=cb + rng.randint(0, 2),
               out_base=rng.randrange(1 << aw), ring=0)
    geo["out_stride"] = cb + rng.randint(0, 2)
    if rng.random() < 0.5:
        geo["ring"] = max(k, s) + rng.choice([0, s])
    return geo


def pool_cfg(geo: dict, aw: int, cw: int, step: int = 1, pp: int = 1) -> dict:
    """The per-layer constants of fg_pool_agu (what fpgagen/machine/engine_table.py computes; the
    engine turns the table's words-per-pixel - 1 into groups of ``step`` words with a shift).
    With ``pp`` pixel banks: group addresses (rows of ceil(W / pp) groups), column chunks of
    pp pixels, no column carry."""
    m = (1 << aw) - 1
    k, s, pad, ring = geo["k"], geo["s"], geo["pad"], geo["ring"]
    reuse = s < k <= 2 * s and pp == 1
    kx0 = k - s if reuse else 0
    in_w = ceil_div(geo["in_w"], pp)
    out_w = ceil_div(geo["out_w"], pp)
    row_step = in_w * geo["in_stride"]
    irow0 = (-pad) % ring if ring else 0
    row0 = geo["in_base"] + irow0 * row_step if ring else geo["in_base"] - pad * row_step
    none = (1 << cw) - 1
    col0 = ((-pad) // pp) * geo["in_stride"] if pp > 1 else -pad * geo["in_stride"]
    col_step = (s // pp if pp > 1 else s) * geo["in_stride"]
    return dict(
        cb_last=(geo["cb"] - 1) // step, blocks=geo["cb"], k_last=k - 1,
        kx_last=ceil_div(k, pp) - 1, ph0=(-pad) % pp, pix_step=s % pp,
        ox_last=geo["out_w"] - 1, oy_last=geo["out_h"] - 1, stride=s, pad=pad,
        reuse=int(reuse), kx0=kx0,
        ix_kx0=s + kx0, in_base=geo["in_base"], row0=row0 & m, irow0=irow0,
        ring=ring if ring else none, ring_last=ring - 1 if ring else none,
        row_step=row_step & m, s_row_step=(s * row_step) & m,
        wrap_row_step=((s - ring) * row_step) & m if ring else 0,
        col0=col0 & m, kx_step=geo["in_stride"] & m,
        col_step=col_step & m, col_kx0=((s + kx0) * geo["in_stride"]) & m,
        out_base=geo["out_base"], out_stride=geo["out_stride"] & m,
        out_row_step=(out_w * geo["out_stride"]) & m)


def pool_beats(geo: dict, aw: int, step: int = 1, pp: int = 1) -> list[tuple]:
    """(first, last, carry, from_carry, raddr, iy, ix, waddr, left) per beat, and with ``pp``
    pixel banks (phase, opix, kleft) too; a beat reads ``step`` words from raddr on (word group
    cb covers words cb * step ..), with pixel banks the pp pixels of a window row's column
    chunk from its first (raddr the group address, phase its bank)."""
    m = (1 << aw) - 1
    k, s, pad, ring = geo["k"], geo["s"], geo["pad"], geo["ring"]
    reuse = s < k <= 2 * s and pp == 1
    in_w, out_w = ceil_div(geo["in_w"], pp), ceil_div(geo["out_w"], pp)
    chunks = ceil_div(k, pp)
    beats = []
    for oy in range(geo["out_h"]):
        for g in range(-(-geo["cb"] // step)):
            cb = g * step
            for ox in range(geo["out_w"]):
                if pp > 1:
                    waddr = geo["out_base"] + (oy * out_w + ox // pp) * geo["out_stride"] + cb
                    for ky in range(k):
                        for c in range(chunks):
                            iy, ix = oy * s - pad + ky, ox * s - pad + c * pp
                            irow = iy % ring if ring else iy
                            raddr = geo["in_base"] + (irow * in_w + ix // pp) * \
                                geo["in_stride"] + cb
                            beats.append((ky == 0 and c == 0, ky == k - 1 and c == chunks - 1,
                                          False, False, raddr & m, iy, ix, waddr & m,
                                          geo["cb"] - cb, ix % pp, ox % pp, k - c * pp))
                    continue
                kx_start = k - s if reuse and ox else 0
                waddr = geo["out_base"] + (oy * geo["out_w"] + ox) * geo["out_stride"] + cb
                for ky in range(k):
                    for kx in range(kx_start, k):
                        iy, ix = oy * s - pad + ky, ox * s - pad + kx
                        irow = iy % ring if ring else iy
                        raddr = geo["in_base"] + (irow * geo["in_w"] + ix) * geo["in_stride"] + cb
                        beats.append((ky == 0 and kx == kx_start, ky == k - 1 and kx == k - 1,
                                      reuse and kx >= s, reuse and ox != 0, raddr & m, iy, ix,
                                      waddr & m, geo["cb"] - cb))
    return beats


def random_vec(rng: random.Random, aw: int, pp: int = 1) -> dict:
    """A random global average pool (add = 0) or add (add = 1) over an h x w map."""
    add = rng.random() < 0.5
    cb = rng.randint(1, 3)
    geo = dict(add=add, h=rng.randint(1, 6), w=rng.randint(1, 6), cb=cb,
               in_base=rng.randrange(1 << aw), in_stride=cb + rng.randint(0, 2),
               in2_base=rng.randrange(1 << aw), in2_stride=cb + rng.randint(0, 2),
               out_base=rng.randrange(1 << aw), out_stride=cb + rng.randint(0, 2), pp=pp)
    return geo


def vec_cfg(geo: dict, aw: int) -> dict:
    """With pp pixel banks an add walks pixel groups (rows of ceil(w / pp)), the average pool
    the pixels of each row (x_last, row_step: a row of groups)."""
    m = (1 << aw) - 1
    pp = geo.get("pp", 1)
    groups = ceil_div(geo["w"], pp)
    p_last = geo["h"] * (groups if geo["add"] else geo["w"]) - 1
    return dict(add=int(geo["add"]), cb_last=geo["cb"] - 1, p_last=p_last,
                in_base=geo["in_base"], in_stride=geo["in_stride"] & m,
                in2_base=geo["in2_base"], in2_stride=geo["in2_stride"] & m,
                out_base=geo["out_base"], out_stride=geo["out_stride"] & m,
                x_last=geo["w"] - 1, row_step=(groups * geo["in_stride"]) & m)


def vec_beats(geo: dict, aw: int) -> list[tuple]:
    """(first, last, half, addr, waddr, phase) per beat."""
    m = (1 << aw) - 1
    pp = geo.get("pp", 1)
    groups = ceil_div(geo["w"], pp)
    beats = []
    if geo["add"]:
        for p in range(geo["h"] * groups):
            for cb in range(geo["cb"]):
                wa = (geo["out_base"] + p * geo["out_stride"] + cb) & m
                beats.append((True, False, False,
                              (geo["in_base"] + p * geo["in_stride"] + cb) & m, wa, 0))
                beats.append((False, True, True,
                              (geo["in2_base"] + p * geo["in2_stride"] + cb) & m, wa, 0))
    else:
        n = geo["h"] * geo["w"]
        for cb in range(geo["cb"]):
            for p in range(n):
                y, x = divmod(p, geo["w"])
                beats.append((p == 0, p == n - 1, False,
                              (geo["in_base"] + (y * groups + x // pp) * geo["in_stride"]
                               + cb) & m,
                              (geo["out_base"] + cb) & m, x % pp))
    return beats
