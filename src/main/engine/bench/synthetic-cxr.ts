/**
 * A synthetic PA chest radiograph made of smooth shapes, as 12-bit stored values (MONOCHROME2 or MONOCHROME1): body
 * outline with neck, shoulders and arms, two lung fields with domed diaphragms and sharp costophrenic angles,
 * mediastinum and heart (bulging to the patient's left, the image's right), spine with vertebral bodies, posterior and
 * fainter anterior ribs, clavicles, scapulae, humeral heads, vessels branching from the hila, quantum noise.
 *
 * Pixel values follow attenuation, as in a radiograph stored MONOCHROME2: air outside the body is darkest, lungs dark,
 * soft tissue grey, bone brightest. Geometry is in units of the image side, so any size gives the same picture.
 * The benchmark's input (a realistic-looking, realistic-size image with no patient data, synthetic-radiograph.ts) and
 * the imaging tests' (test/imaging/helpers/synthetic-cxr.ts writes it as DICOM in any transfer syntax).
 */

export interface SyntheticCxrOptions {
  /** Width and height in pixels (default 2048). */
  size?: number;
  /** Store inverted (MONOCHROME1), as many CR systems do; displays the same. */
  monochrome1?: boolean;
  seed?: number;
}

export interface SyntheticCxr {
  size: number;
  /** Stored values, row-major, 12 bits. */
  values: Uint16Array;
  /** The window written into the file (center/width over stored values). */
  window: { center: number; width: number };
}

/** Bits stored. */
export const CXR_BITS = 12;
const MAX = 2 ** CXR_BITS - 1;

const smoothstep = (e0: number, e1: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};
/** 1 inside (d < 0), 0 outside, soft over `soft` either side of the edge. */
const inside = (d: number, soft: number): number => 1 - smoothstep(-soft, soft, d);

/** Vessel markings: trees branching from each hilum, tapering and fading outwards, drawn into a map once. */
function vesselMap(size: number, random: () => number): Float32Array {
  const map = new Float32Array(size * size);
  const draw = (x0: number, y0: number, x1: number, y1: number, width: number, strength: number) => {
    const [ax, ay, bx, by] = [x0 * size, y0 * size, x1 * size, y1 * size];
    const w = Math.max(0.6, width * size);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy || 1;
    const minX = Math.max(0, Math.floor(Math.min(ax, bx) - 2 * w));
    const maxX = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + 2 * w));
    const minY = Math.max(0, Math.floor(Math.min(ay, by) - 2 * w));
    const maxY = Math.min(size - 1, Math.ceil(Math.max(ay, by) + 2 * w));
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / len2));
        const d = Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
        const v = strength * Math.exp(-((d / w) ** 2));
        const i = y * size + x;
        if (v > map[i]!) map[i] = v;
      }
    }
  };
  const branch = (
    x: number,
    y: number,
    angle: number,
    length: number,
    width: number,
    strength: number,
    depth: number,
  ) => {
    // Each branch bends a little along its way: two half segments.
    const bend = (random() - 0.5) * 0.5;
    const mx = x + Math.cos(angle) * length * 0.5;
    const my = y + Math.sin(angle) * length * 0.5;
    const ex = mx + Math.cos(angle + bend) * length * 0.5;
    const ey = my + Math.sin(angle + bend) * length * 0.5;
    draw(x, y, mx, my, width, strength);
    draw(mx, my, ex, ey, width * 0.85, strength * 0.9);
    if (depth === 0) return;
    for (const turn of [-0.42, 0.38]) {
      const a = angle + bend + turn + (random() - 0.5) * 0.3;
      branch(ex, ey, a, length * (0.62 + random() * 0.15), width * 0.7, strength * 0.8, depth - 1);
    }
  };
  for (const side of [-1, 1]) {
    const hx = 0.5 + side * 0.1;
    const hy = 0.45;
    for (let i = 0; i < 7; i++) {
      // Fan from up-and-out to down-and-out (angles measured on the image, y down).
      const spread = -1.25 + (i / 6) * 2.2 + (random() - 0.5) * 0.2;
      const angle = side > 0 ? spread : Math.PI - spread;
      branch(hx, hy, angle, 0.07 + random() * 0.03, 0.0045, 1, 3);
    }
  }
  return map;
}

/** Half width of the trunk at height v: neck, sloping shoulders, chest wall, waist. */
function trunkHalfWidth(v: number): number {
  const shoulders = 0.09 + 0.39 * smoothstep(0.07, 0.2, v);
  return shoulders - 0.035 * smoothstep(0.35, 0.75, v) + 0.01 * smoothstep(0.75, 1, v);
}

/** Half width of the mediastinum (medial lung border) at height v, on the image-left (-1) or image-right (+1) side. */
function mediastinumHalfWidth(v: number, side: -1 | 1): number {
  const upper = 0.055 + 0.012 * smoothstep(0.15, 0.3, v);
  const aorticKnob = side > 0 ? 0.03 * Math.exp(-(((v - 0.33) / 0.035) ** 2)) : 0;
  // The heart: the right border (image left) a gentle curve, the left border (image right) a large one.
  const heart = side > 0 ? 0.125 * Math.exp(-(((v - 0.58) / 0.1) ** 2)) : 0.045 * Math.exp(-(((v - 0.56) / 0.09) ** 2));
  return upper + Math.max(aorticKnob, heart);
}

/**
 * Attenuation at (u, v) in image-side units: 0 in air, about 1 in soft tissue, more in bone. The lung mask there goes
 * to lungOut[0] (vessels are added where it is 1).
 */
function attenuation(u: number, v: number, soft: number, lungOut: Float64Array): number {
  const x = u - 0.5; // signed from the midline
  const ax = Math.abs(x);
  const side: -1 | 1 = x < 0 ? -1 : 1; // -1: image left = patient's right

  // Body: neck and sloping shoulders, then chest wall; the top of the shoulders curves down to the arms.
  const half = trunkHalfWidth(v);
  const shoulderTop = 0.04 + 0.14 * smoothstep(0.06, 0.45, ax) ** 1.5;
  const body = inside(ax - half, soft) * inside(shoulderTop - v, soft * 2);
  if (body <= 0) return 0;
  let a = body * (0.8 + 0.2 * Math.cos(x * Math.PI * 1.1)); // thicker centrally

  // Lungs: apex dome, lateral wall inside the chest wall, mediastinum, diaphragm domes with costophrenic angles.
  const lateral = half - 0.045;
  const apex = 0.15 + 0.9 * (ax - 0.21) ** 2;
  const medial = mediastinumHalfWidth(v, side);
  const domeTop = side < 0 ? 0.655 : 0.685; // the right hemidiaphragm sits higher
  const dome = ax > 0.19 ? 2.2 * (ax - 0.19) ** 2 : 4 * (0.19 - ax) ** 2;
  const diaphragm = domeTop + dome + 0.06 * smoothstep(0.3, 0.41, ax);
  const lung =
    inside(ax - lateral, soft) * inside(medial - ax, soft) * inside(apex - v, soft) * inside(v - diaphragm, soft * 1.5);
  // Air: the bases and the periphery hold the most, the perihilar region less.
  const perihilar = Math.exp(-(((ax - 0.12) / 0.08) ** 2) - ((v - 0.45) / 0.12) ** 2);
  a -= lung * (0.45 + 0.06 * smoothstep(0.25, 0.6, v) - 0.08 * perihilar);
  // Hila: pulmonary arteries and bronchi, denser where they enter each lung.
  a += 0.09 * lung * Math.exp(-(((ax - medial - 0.025) / 0.03) ** 2) - ((v - 0.44) / 0.06) ** 2);

  // Trachea: an air column in the upper mediastinum.
  a -= 0.16 * inside(ax - 0.014, soft) * inside(0.06 - v, soft) * inside(v - 0.36, soft * 3);

  // Spine: faint through the mediastinum, vertebral bodies with end plates, pedicles.
  if (ax < 0.05) {
    const level = ((((v - 0.02) / 0.042) % 1) + 1) % 1;
    const endplate = Math.exp(-((Math.min(level, 1 - level) / 0.07) ** 2));
    const pedicle = Math.exp(-(((ax - 0.022) / 0.005) ** 2) - ((level - 0.35) / 0.12) ** 2);
    a += inside(ax - 0.03, soft) * (0.08 + 0.04 * endplate) + 0.05 * pedicle;
  }

  // Ribs, within the chest wall. Posterior: from the spine out and slightly up, then down along the chest wall,
  // lower ribs more oblique. Anterior: fainter, running down and in from the lateral ends.
  const w = ax / (half - 0.01);
  if (w < 1 && v > 0.1 && v < 0.85) {
    const withinChest = inside(w - 0.97, 0.02) * smoothstep(0.035, 0.06, ax) * inside(v - 0.8, 0.03);
    let rib = 0;
    for (let k = 0; k < 11; k++) {
      const y0 = 0.14 + k * 0.046 + 0.0015 * k * k;
      const drop = 0.09 + 0.012 * k + 0.006 * Math.sin(k * 2.7); // ribs are not all alike
      const centre = y0 + drop * (1.5 * w * w - 0.5 * w);
      const thickness = 0.008 + 0.003 * w + 0.0003 * k;
      const d = Math.abs(v - centre) / thickness;
      if (d < 1.3) {
        const cortex = Math.exp(-(((d - 0.85) / 0.16) ** 2));
        rib = Math.max(rib, (0.1 + 0.07 * cortex) * inside(d - 1, 0.12));
      }
      if (k < 7 && w > 0.35) {
        const ant = y0 + drop * 1.0 + 0.02 + 0.16 * (1 - w) ** 1.3;
        const da = Math.abs(v - ant) / 0.008;
        if (da < 1.3) rib = Math.max(rib, 0.045 * inside(da - 1, 0.2) * smoothstep(0.35, 0.55, w));
      }
    }
    // Over the dense upper abdomen and mediastinum the ribs show less than against the air of the lungs.
    a += rib * withinChest * (0.4 + 0.6 * lung);
  }

  // Clavicles: from the sternal ends out to the shoulders, rising laterally with a gentle S.
  const cu = (ax - 0.025) / 0.31;
  if (cu > -0.05 && cu < 1.05) {
    const cv = 0.175 - 0.045 * cu + 0.012 * Math.sin(cu * Math.PI * 1.6);
    const cd = Math.abs(v - cv) / (0.011 + 0.003 * Math.abs(cu - 0.1));
    a += 0.22 * inside(cd - 1, 0.2) * smoothstep(-0.05, 0.05, cu) * inside(cu - 1, 0.04);
  }

  // Scapulae (faint, projecting over the lateral upper lungs) and humeral heads at the shoulders.
  a += 0.05 * inside(Math.hypot((ax - 0.37) / 0.07, (v - 0.3) / 0.12) - 1, 0.15);
  a += 0.32 * inside(Math.hypot((ax - 0.445) / 0.05, (v - 0.205) / 0.055) - 1, 0.12) * body;

  lungOut[0] = lung;
  return a;
}

export function syntheticChestRadiograph(opts: SyntheticCxrOptions = {}): SyntheticCxr {
  const size = opts.size ?? 2048;
  let state = (opts.seed ?? 7) >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const vessels = vesselMap(size, random);
  const soft = 2 / size + 0.003; // edges a few pixels wide at any size
  // The shapes are smooth over several pixels: above 512 pixels they are evaluated on every other pixel and
  // interpolated (four times faster); vessels and noise are added at full resolution.
  const step = size > 512 ? 2 : 1;
  const grid = Math.ceil(size / step) + 1;
  const coarseA = new Float32Array(grid * grid);
  const coarseLung = new Float32Array(grid * grid);
  const lungOut = new Float64Array(1);
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      coarseA[gy * grid + gx] = attenuation((gx * step + 0.5) / size, (gy * step + 0.5) / size, soft, lungOut);
      coarseLung[gy * grid + gx] = lungOut[0]!;
    }
  }
  const sample = (map: Float32Array, x: number, y: number): number => {
    const fx = x / step;
    const fy = y / step;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const tx = fx - x0;
    const ty = fy - y0;
    const at = (gx: number, gy: number) => map[Math.min(gy, grid - 1) * grid + Math.min(gx, grid - 1)]!;
    const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
    const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
    return top * (1 - ty) + bottom * ty;
  };
  const values = new Uint16Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const a = sample(coarseA, x, y) + 0.08 * vessels[y * size + x]! * sample(coarseLung, x, y);
      // Quantum mottle: two uniform draws make a roughly bell-shaped noise of about +-12.
      const noise = (random() + random() - 1) * 24;
      const stored = Math.round(180 + a * 2350 + noise);
      const clamped = stored < 0 ? 0 : stored > MAX ? MAX : stored;
      values[y * size + x] = opts.monochrome1 ? MAX - clamped : clamped;
    }
  }
  const window = opts.monochrome1 ? { center: MAX - 2100, width: 2900 } : { center: 2100, width: 2900 };
  return { size, values, window };
}
