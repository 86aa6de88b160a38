#!/usr/bin/env node
// Copies the freshly built binary into prebuilds/<platform>-<arch>/ under node-gyp-build's naming
// (node.napi.<libc>.node), which is what the published package ships and loads without a compiler.
// prebuildify cannot drive cmake-js, hence this short script.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'deepscope.node');
if (!fs.existsSync(built)) {
  console.error(`prebuild: ${built} does not exist; run \`npm run build:native\` first`);
  process.exit(1);
}
const libc = process.platform === 'linux' ? (process.report?.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl') : null;
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
const name = ['node', 'napi', libc, 'node'].filter(Boolean).join('.');
fs.copyFileSync(built, path.join(dir, name));
console.log(`prebuild: ${path.relative(root, path.join(dir, name))} (${(fs.statSync(built).size / 1e6).toFixed(1)} MB)`);
