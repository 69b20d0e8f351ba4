/**
 * Vitest global setup of the projects with browser tests (cloud-gateway, local-worker, e2e): finds
 * or installs Chromium once, before any test file runs, and hands its path to the test workers in
 * CHROMIUM_PATH. Without a browser it fails at once with the one command that fixes it.
 */
import { findOrInstallChromium, nodeChromiumHost } from './chromium.js';

export default async function setup(): Promise<void> {
  process.env['CHROMIUM_PATH'] = await findOrInstallChromium(await nodeChromiumHost((line) => console.log(line)));
}
