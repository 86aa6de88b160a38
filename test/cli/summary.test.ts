/**
 * `deepscope summary`, spawned as a user runs it (`node lib/cli.js summary ...`): the table of every model
 * name at a small input, the paper's input by default, JSON output, and the one-line usage errors.
 */
import { cli, ensureBuilt } from './helpers';
import { SUMMARY_MODELS } from '../../src/cli/summary';
import { summary } from '../../src/models/summary';

beforeAll(() => ensureBuilt(), 180_000);

interface SummaryJson {
  model: string;
  inputShape: number[];
  rows: { name: string; type: string; outputShape: number[]; parameters: number; multAdds: number }[];
  totalParameters: number;
  trainableParameters: number;
  totalMultAdds: number;
}

describe('deepscope summary', () => {
  test("alexnet at the paper's 224×224 by default: the table and its totals", () => {
    const r = cli(['summary', '--model', 'alexnet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^alexnet\n/);
    expect(r.stdout).toMatch(/features\.0 \(Conv2d\)\s+\[1, 64, 55, 55\]\s+23,296\s+70,276,800/);
    expect(r.stdout).toContain('Input shape: [1, 3, 224, 224]');
    expect(r.stdout).toContain('Total parameters: 61,100,840');
    expect(r.stdout).toContain('Total mult-adds: 714,188,480');
  }, 60_000);

  test('--input and --json: vgg16 at 3,32,32', () => {
    const r = cli(['summary', '--model', 'vgg16', '--input', '3,32,32', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as SummaryJson;
    expect(j.model).toBe('vgg16');
    expect(j.inputShape).toEqual([1, 3, 32, 32]);
    expect(j.totalParameters).toBe(138357544);
    expect(j.rows.find((row) => row.name === 'features.30')!.outputShape).toEqual([1, 512, 1, 1]);
    expect(j.rows.at(-1)).toEqual({ name: 'classifier.6', type: 'Linear', outputShape: [1, 1000], parameters: 4097000, multAdds: 4096000 });
  }, 60_000);

  // In-process (spawning a node per name costs seconds each): the same registry and summary the command uses.
  test('every model name builds and summarises (at a small input where the network accepts one)', () => {
    const small: Record<string, number[] | undefined> = { 'alexnet-paper': undefined, alexnet: [3, 63, 63], 'googlenet-paper': [3, 64, 64], 'highway-mlp': undefined, 'vanilla-cnn': undefined, lenet5: undefined, 'lenet5-modern': undefined };
    for (const [name, entry] of Object.entries(SUMMARY_MODELS)) {
      const model = entry.build();
      const s = summary(model, name in small ? small[name] ?? entry.input : [3, 32, 32], { print: false });
      expect(s.totalParameters).toBeGreaterThan(0);
      expect([name, s.rows.at(-1)!.outputShape.at(-1)]).toEqual([name, name.startsWith('lenet') ? 10 : entry.classes ?? 1000]);
      model.dispose();
    }
  }, 600_000);

  test('listed in --help, with its own help', () => {
    expect(cli(['--help']).stdout).toMatch(/^  summary /m);
    const r = cli(['summary', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--input <C,H,W>');
  }, 60_000);

  test('usage errors are one line, exit 2', () => {
    for (const args of [['--model', 'resnet9000'], ['--model', 'vgg16', '--input', '3,x,2'], []]) {
      const r = cli(['summary', ...args]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^deepscope: [^\n]+\n$/);
      expect(r.status).toBe(2);
    }
    // A shape the network cannot take is a plain error (exit 1), still one line.
    const r = cli(['summary', '--model', 'alexnet-paper', '--input', '3,64,64']);
    expect(r.stderr).toMatch(/^deepscope: [^\n]+\n/);
    expect(r.status).toBe(1);
  }, 60_000);
});
