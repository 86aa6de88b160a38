/**
 * The API site builds and every exported symbol is documented (typedoc's notDocumented validation, with
 * warnings as errors).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

test('typedoc: no undocumented exports, no broken links', () => {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--emit', 'none', '--treatWarningsAsErrors'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.stdout + r.stderr).not.toMatch(/\[warning\]|\[error\]/);
  expect(r.status).toBe(0);
});
