const cp = require('child_process');

function thumbnail(file, res) {
  // ruleid: idp.javascript.child-process-injection
  cp.exec(`convert ${file} -resize 64x64 thumb.png`, (err) => res.end(String(err)));
  // ruleid: idp.javascript.child-process-injection
  cp.execSync('rm -rf /tmp/' + file);
  // ruleid: idp.javascript.child-process-injection
  cp.spawn('convert', [file], { shell: true });
  // ok: idp.javascript.child-process-injection
  cp.execFile('convert', [file, '-resize', '64x64', 'thumb.png']);
  // ok: idp.javascript.child-process-injection
  cp.exec('git rev-parse HEAD');
}

module.exports = { thumbnail };
