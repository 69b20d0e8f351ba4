import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Stand-ins for the glibc loader path, so its logic is tested on every host (whatever its glibc):
 * Debian's `apt-get`/`dpkg` as scripts that record their arguments, a "loader" that runs the
 * program it is given (answering the version probe with 2.41), and a Chroma CLI that fails like
 * bindings refused by an old glibc unless started under that loader, where it answers Chroma's
 * heartbeat. Tests only.
 */

const LOADERS: Record<string, { triplet: string; loader: string }> = {
  x64: { triplet: 'x86_64-linux-gnu', loader: 'ld-linux-x86-64.so.2' },
  arm64: { triplet: 'aarch64-linux-gnu', loader: 'ld-linux-aarch64.so.1' },
};

/** The glibc version the stand-in loader reports. */
export const STAND_IN_GLIBC_VERSION = '2.41';

/** The line a dynamic linker prints when the bindings need a newer glibc. */
export const GLIBC_REFUSAL = "node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.39' not found (required by chromadb-js-bindings.linux-x64-gnu.node)";

function loaderFile(sysroot: string): { directory: string; path: string } {
  const entry = LOADERS[process.arch] ?? LOADERS['x64']!;
  const directory = join(sysroot, 'usr', 'lib', entry.triplet);
  return { directory, path: join(directory, entry.loader) };
}

const LOADER_SCRIPT = `#!/bin/sh
# stand-in for ld-linux: <loader> --library-path DIR program args...
[ "$1" = --library-path ] && shift 2
# the version probe: node -e '...glibcVersionRuntime...'
[ "$2" = -e ] && case "$3" in *glibcVersionRuntime*) printf '${STAND_IN_GLIBC_VERSION}'; exit 0;; esac
STAND_IN_GLIBC_LOADER=1 exec "$@"
`;

/** Writes the stand-in loader where `dpkg -x` of Debian's libc6 would put the real one; returns its path. */
export async function writeStandInLoader(sysroot: string): Promise<string> {
  const { directory, path } = loaderFile(sysroot);
  await mkdir(directory, { recursive: true });
  await writeFile(path, LOADER_SCRIPT);
  await chmod(path, 0o755);
  return path;
}

/** A loader cache as `prepareGlibcLoader` leaves it (sysroot + ready.json); returns the loader path. */
export async function writePreparedLoaderCache(cacheDir: string): Promise<string> {
  const path = await writeStandInLoader(join(cacheDir, 'sysroot'));
  await writeFile(join(cacheDir, 'ready.json'), JSON.stringify({ glibcVersion: STAND_IN_GLIBC_VERSION }));
  return path;
}

/**
 * `apt-get` and `dpkg` scripts in `binDirectory` that append their arguments to `logFile` (one line
 * per call): `apt-get download` leaves three .deb files in its working directory, `dpkg -x` unpacks
 * the stand-in loader. Put `binDirectory` first on PATH.
 */
export async function writeStandInDebianTools(binDirectory: string, logFile: string): Promise<void> {
  await mkdir(binDirectory, { recursive: true });
  const { path } = loaderFile('$3');
  const loaderDirectory = path.slice(0, path.lastIndexOf('/'));
  const aptGet = `#!/bin/sh
echo "apt-get $*" >> '${logFile}'
for argument in "$@"; do
  if [ "$argument" = download ]; then
    for package in libc6 libstdc++6 libgcc-s1; do : > "\${package}_${STAND_IN_GLIBC_VERSION}_amd64.deb"; done
  fi
done
exit 0
`;
  const dpkg = `#!/bin/sh
echo "dpkg $*" >> '${logFile}'
[ "$1" = -x ] || exit 2
mkdir -p "${loaderDirectory}"
cat > "${path}" <<'LOADER'
${LOADER_SCRIPT}LOADER
chmod 755 "${path}"
`;
  await writeFile(join(binDirectory, 'apt-get'), aptGet);
  await writeFile(join(binDirectory, 'dpkg'), dpkg);
  await chmod(join(binDirectory, 'apt-get'), 0o755);
  await chmod(join(binDirectory, 'dpkg'), 0o755);
}

/**
 * A Chroma CLI stand-in at `<directory>/chromadb/dist/cli.mjs` (the path the launcher recognises):
 * without the stand-in loader it prints {@link GLIBC_REFUSAL} and exits 1; under it, it answers
 * `GET /api/v2/heartbeat` on `--port` like Chroma. Returns the script's path.
 */
export async function writeStandInChromaCli(directory: string): Promise<string> {
  const dist = join(directory, 'chromadb', 'dist');
  await mkdir(dist, { recursive: true });
  const cli = join(dist, 'cli.mjs');
  await writeFile(
    cli,
    `import { createServer } from 'node:http';
if (!process.env.STAND_IN_GLIBC_LOADER) {
  console.error(${JSON.stringify(GLIBC_REFUSAL)});
  process.exit(1);
}
const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
createServer((request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ 'nanosecond heartbeat': Date.now() * 1e6 }));
}).listen(port, '127.0.0.1');
`,
  );
  return cli;
}
