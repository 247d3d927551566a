function calculate(expression, name) {
  // ruleid: idp.javascript.eval-injection
  const result = eval(expression);
  // ruleid: idp.javascript.eval-injection
  const fn = new Function('a', 'b', expression);
  // ruleid: idp.javascript.eval-injection
  setTimeout('greet("' + name + '")', 10);
  // ok: idp.javascript.eval-injection
  setTimeout(() => greet(name), 10);
  // ok: idp.javascript.eval-injection
  const parsed = JSON.parse(expression);
  return [result, fn, parsed];
}

function greet(name) {
  return `hello ${name}`;
}

module.exports = { calculate };
