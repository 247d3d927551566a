// ruleid: idp.javascript.hardcoded-secret
const apiKey = "k3y-4eC39HqLyjWDarjtT1zdp7dc";
// ok: idp.javascript.hardcoded-secret
const token = process.env.API_TOKEN;
// ok: idp.javascript.hardcoded-secret
const passwordField = "password";

const client = {
  host: 'db.internal',
  // ruleid: idp.javascript.hardcoded-secret
  password: 'correct-horse-battery-staple',
  // ok: idp.javascript.hardcoded-secret
  secret: 'CLIENT_SECRET',
};

module.exports = { apiKey, token, passwordField, client };
