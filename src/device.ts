/** Where a tensor lives. `'cpu'`, `'cuda'` (device 0) or `'cuda:N'`. */
export type DeviceLike = 'cpu' | 'cuda' | `cuda:${number}` | Device;

/** A device: type and ordinal. Instances are interned, so `===` compares them. */
export class Device {
  private static readonly interned = new Map<string, Device>();

  private constructor(
    /** `'cpu'` or `'cuda'`. */
    readonly type: 'cpu' | 'cuda',
    /** Ordinal among devices of the type. */
    readonly index: number,
  ) {}

  /** @internal */
  static get(type: 'cpu' | 'cuda', index = 0): Device {
    const key = type === 'cpu' ? 'cpu' : `cuda:${index}`;
    let d = Device.interned.get(key);
    if (!d) {
      d = new Device(type, type === 'cpu' ? 0 : index);
      Device.interned.set(key, d);
    }
    return d;
  }

  /** `'cpu'` or `'cuda:N'`. */
  toString(): string {
    return this.type === 'cpu' ? 'cpu' : `cuda:${this.index}`;
  }
}

/** The CPU device. */
export const CPU = Device.get('cpu');

/**
 * Parses a device name.
 * @example device('cuda:1').index === 1
 */
export function device(d: DeviceLike): Device {
  if (d instanceof Device) return d;
  if (d === 'cpu') return CPU;
  if (d === 'cuda') return Device.get('cuda', 0);
  if (typeof d === 'string') {
    const m = /^cuda:(\d+)$/.exec(d);
    if (m) return Device.get('cuda', Number(m[1]));
  }
  throw new TypeError(`unknown device ${JSON.stringify(d)}: use 'cpu', 'cuda' or 'cuda:N'`);
}
