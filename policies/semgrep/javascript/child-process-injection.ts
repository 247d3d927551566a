import { exec } from 'child_process';

export function backup(name: string): void {
  // ruleid: idp.javascript.child-process-injection
  exec(`tar czf /backups/${name}.tgz /data`);
  // ok: idp.javascript.child-process-injection
  exec('sync');
}
