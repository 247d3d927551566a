import * as crypto from 'crypto';

export function fingerprint(data: string, key: Buffer, iv: Buffer): string[] {
  // ruleid: idp.javascript.weak-crypto
  const a = crypto.createHash('md5').update(data).digest('hex');
  // ruleid: idp.javascript.weak-crypto
  const b = crypto.createCipheriv('des-ede3', key, iv).update(data, 'utf8', 'hex');
  // ok: idp.javascript.weak-crypto
  const c = crypto.createHash('sha256').update(data).digest('hex');
  return [a, b, c];
}
