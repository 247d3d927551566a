# Every object carries the labels that say who owns it; values can be held to a pattern.
package idprequiredlabels

import data.lib.idp.core

default_labels := [{"key": "owner"}, {"key": "team"}, {"key": "app.kubernetes.io/name"}]

required := object.get(core.parameters, "labels", default_labels)

obj := core.review_object

labels := object.get(obj, ["metadata", "labels"], {})

violation contains {"msg": core.message(msg), "details": object.union(core.subject(obj), {"missing_label": key})} if {
	some label in required
	key := label.key
	not key in object.keys(labels)
	msg := sprintf("%s must have the label %q", [core.describe(obj), key])
}

violation contains {"msg": core.message(msg), "details": details} if {
	some label in required
	pattern := object.get(label, "allowedRegex", "")
	pattern != ""
	value := labels[label.key]
	not regex.match(concat("", ["^(?:", pattern, ")$"]), value)
	msg := sprintf("%s has the label %s=%q, which does not match %q", [core.describe(obj), label.key, value, pattern])
	details := object.union(core.subject(obj), {"label": label.key, "value": value, "allowed_regex": pattern})
}
