/**
 * Preloaded into the server (NODE_OPTIONS=--import) when --cpu-prof=<dir> is given: Node refuses
 * --cpu-prof in NODE_OPTIONS, and spawnSwitchboard takes no node flags, so the profile is taken
 * through the inspector instead and written as <dir>/server-<pid>.cpuprofile when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 1 ms sampling, as --cpu-prof's default: fine enough for per-event hot paths.
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // Posts on an in-process session complete synchronously, so this runs to the end inside 'exit'.
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(path.join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
