/**
 * A small catalogue of accelerators whose vendor specification gives a board (or system) power. It only
 * pre-fills board power: prices are the user's and are never stored here. Each figure cites its source;
 * they are maximum/rated powers, so J/token from them is an upper estimate for a card that runs below its
 * limit. Pure data.
 */

export interface Accelerator {
  /** Short id used in URLs and CLI flags (`--accelerator h100-sxm`). */
  id: string;
  name: string;
  /** Rated board power, W (for Apple: the whole computer's maximum, see the entries). */
  boardPowerW: number;
  /** Where the figure comes from. */
  source: string;
}

export const ACCELERATORS: readonly Accelerator[] = [
  // NVIDIA H100 Tensor Core GPU datasheet: "Max thermal design power (TDP): up to 700 W" (SXM), 350-400 W (NVL).
  { id: 'h100-sxm', name: 'NVIDIA H100 SXM', boardPowerW: 700, source: 'NVIDIA H100 datasheet: max TDP up to 700 W (SXM)' },
  { id: 'h100-nvl', name: 'NVIDIA H100 NVL', boardPowerW: 400, source: 'NVIDIA H100 datasheet: max TDP 350-400 W (NVL, configurable)' },
  // NVIDIA H200 Tensor Core GPU datasheet: "Max TDP: up to 700 W" (SXM), "up to 600 W" (NVL).
  { id: 'h200-sxm', name: 'NVIDIA H200 SXM', boardPowerW: 700, source: 'NVIDIA H200 datasheet: max TDP up to 700 W (SXM)' },
  { id: 'h200-nvl', name: 'NVIDIA H200 NVL', boardPowerW: 600, source: 'NVIDIA H200 datasheet: max TDP up to 600 W (NVL)' },
  // NVIDIA A100 Tensor Core GPU datasheet: max TDP 400 W (SXM4), 300 W (PCIe 80GB).
  { id: 'a100-sxm', name: 'NVIDIA A100 SXM4', boardPowerW: 400, source: 'NVIDIA A100 datasheet: max TDP 400 W (SXM)' },
  { id: 'a100-pcie', name: 'NVIDIA A100 PCIe 80GB', boardPowerW: 300, source: 'NVIDIA A100 datasheet: max TDP 300 W (PCIe 80GB)' },
  // NVIDIA L4 Tensor Core GPU datasheet: "Max thermal design power (TDP): 72 W".
  { id: 'l4', name: 'NVIDIA L4', boardPowerW: 72, source: 'NVIDIA L4 datasheet: max TDP 72 W' },
  // NVIDIA L40S datasheet: "Max power consumption: 350 W".
  { id: 'l40s', name: 'NVIDIA L40S', boardPowerW: 350, source: 'NVIDIA L40S datasheet: max power consumption 350 W' },
  // NVIDIA GeForce RTX 4090 specifications: "Total Graphics Power (W): 450".
  { id: 'rtx-4090', name: 'NVIDIA GeForce RTX 4090', boardPowerW: 450, source: 'NVIDIA RTX 4090 specifications: total graphics power 450 W' },
  // NVIDIA GeForce RTX 5090 specifications: "Total Graphics Power (W): 575".
  { id: 'rtx-5090', name: 'NVIDIA GeForce RTX 5090', boardPowerW: 575, source: 'NVIDIA RTX 5090 specifications: total graphics power 575 W' },
  // NVIDIA GeForce RTX 3090 specifications: "Graphics Card Power (W): 350".
  { id: 'rtx-3090', name: 'NVIDIA GeForce RTX 3090', boardPowerW: 350, source: 'NVIDIA RTX 3090 specifications: graphics card power 350 W' },
  // AMD Instinct MI300X accelerator data sheet: "Peak total board power: 750 W".
  { id: 'mi300x', name: 'AMD Instinct MI300X', boardPowerW: 750, source: 'AMD Instinct MI300X data sheet: total board power 750 W (peak)' },
  // AMD Instinct MI250X data sheet: "Peak total board power: 500 W / 560 W" (air / liquid cooled).
  { id: 'mi250x', name: 'AMD Instinct MI250X', boardPowerW: 560, source: 'AMD Instinct MI250X data sheet: total board power up to 560 W (peak)' },
  // AMD Radeon RX 7900 XTX specifications: "Typical Board Power (Desktop): 355 W".
  { id: 'rx-7900xtx', name: 'AMD Radeon RX 7900 XTX', boardPowerW: 355, source: 'AMD Radeon RX 7900 XTX specifications: typical board power 355 W' },
  // Apple publishes no GPU power, only the computer's maximum ("Mac power consumption and thermal output",
  // Apple support): Mac Studio (2023) M2 Ultra 295 W, Mac mini (2024) M4 65 W. Whole system, so J/token
  // from them includes CPU, memory and fans at their maximum.
  { id: 'mac-studio-m2-ultra', name: 'Apple Mac Studio M2 Ultra (system max)', boardPowerW: 295, source: 'Apple support, Mac Studio (2023) power consumption: 295 W maximum continuous (whole system)' },
  { id: 'mac-mini-m4', name: 'Apple Mac mini M4 (system max)', boardPowerW: 65, source: 'Apple support, Mac mini (2024) power consumption: 65 W maximum continuous (whole system)' },
];

export function findAccelerator(id: string): Accelerator | undefined {
  return ACCELERATORS.find((a) => a.id === id);
}
