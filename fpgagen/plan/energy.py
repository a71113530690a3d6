"""An estimated energy per frame: the part's power times the frame time. An estimate only.

fpgagen has no power tool: no Vivado, no Xilinx Power Estimator (XPE), no board to measure.
The model has XPE's structure (UG440: a device static power, plus per-resource dynamic power
that grows with the resource count, the clock and the activity) with round per-resource
figures that are fpgagen's own assumptions, of the order XPE reports for these families at
25 C and its default activity; they are not taken from XPE and no measurement backs them:
for a real figure, enter the design's resources (``check``, ``synth``) into XPE.

    frame time   t = streaming cycles / clock          (images back to back, the Plan's estimate)
    dynamic      P_dyn = clock_MHz x (DSP x c_dsp x u + BRAM36 x c_bram + URAM x c_uram)
                         x (1 + logic share)
    energy       E = (P_static + P_dyn) x t

``u`` is the MAC array's utilization (MACs / (cycles x P_in x P_out)): a DSP waiting for data
is clock-gated by its enable and toggles little; every block RAM is counted as active, and the
engine's other logic (adder trees, address counters, requantizers, clock tree) as a fixed share
of the DSP and memory power. Coefficients per family (`COEFFICIENTS`) and static power per part
(`STATIC_W`) are in docs/reference.md#energy-model.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgagen.plan.plan import Plan

# uW per MHz per resource (at full use for a DSP): (DSP, BRAM36, URAM). 28 nm 7-series
# (Zynq-7000, Virtex-7; DSP48E1) and 16 nm UltraScale+ (DSP48E2): fpgagen's assumptions.
COEFFICIENTS = {
    "zynq7000": (6.0, 12.0, 0.0),
    "virtex7": (6.0, 12.0, 0.0),
    "zynquplus": (3.0, 6.0, 12.0),
    "virtexuplus": (3.0, 6.0, 12.0),
}
LOGIC_SHARE = 0.5  # the rest of the engine, as a share of the DSP and memory power
# device static power in W, typical process at 25 C (fpgagen's assumptions, PL only)
STATIC_W = {
    "xc7z020": 0.12, "xc7z045": 0.25, "xc7vx690t": 0.60,
    "xczu3eg": 0.30, "xck26": 0.40, "xczu7ev": 0.55, "xczu9eg": 0.65,
}
DEFAULT_STATIC_W = 0.5  # a part not in the table
SOURCE = ("estimated: XPE-style model (UG440 structure: device static + per-resource "
          "dynamic x clock x activity) with fpgagen's assumed coefficients (docs/reference.md"
          "#energy-model); not measured")


@dataclass(frozen=True)
class EnergyEstimate:
    """The estimate for one plan; every figure is estimated, none measured."""

    static_w: float
    dynamic_w: float
    frame_s: float
    mac_utilization: float

    @property
    def power_w(self) -> float:
        return self.static_w + self.dynamic_w

    @property
    def energy_j(self) -> float:
        """Estimated energy per frame, images streaming back to back."""
        return self.power_w * self.frame_s

    def to_json(self) -> dict[str, float | str]:
        return {"power_w": round(self.power_w, 4), "static_w": round(self.static_w, 4),
                "dynamic_w": round(self.dynamic_w, 4), "energy_mj": round(1e3 * self.energy_j, 6),
                "mac_utilization": round(self.mac_utilization, 4), "source": SOURCE}


def static_power(part: str) -> float:
    """The assumed static power of a part (matched by its device name, e.g. xc7z045)."""
    for device, watts in STATIC_W.items():
        if part.lower().startswith(device):
            return watts
    return DEFAULT_STATIC_W


def estimate_energy(plan: Plan) -> EnergyEstimate:
    """The estimated power and energy per frame of a plan at its board's nominal clock."""
    board, eng = plan.board, plan.engine
    c_dsp, c_bram, c_uram = COEFFICIENTS.get(board.family, COEFFICIENTS["zynquplus"])
    cycles = max(1, plan.streaming_cycles)
    util = min(1.0, plan.graph.total_macs / (cycles * eng.p_in * eng.p_out))
    # plan.bram36 counts BRAM36 equivalents (two BRAM18 = one)
    dyn_uw_per_mhz = eng.dsp * c_dsp * util + plan.bram36 * c_bram + plan.uram * c_uram
    dynamic = board.clock_mhz * dyn_uw_per_mhz * (1 + LOGIC_SHARE) * 1e-6
    return EnergyEstimate(static_power(board.part), dynamic, cycles / (board.clock_mhz * 1e6),
                          util)
