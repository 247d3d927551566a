# Shared helpers for every idp Kubernetes policy, in Gatekeeper's input shape:
# input.review.object, input.parameters and data.inventory.
#
# Embedded into each ConstraintTemplate that imports it (spec.targets[0].code[0].source.libs)
# by scripts/gen-policy-templates; Gatekeeper only allows library packages under data.lib.
package lib.idp.core

# The constraint's parameters, or {} when the constraint sets none.
parameters := p if {
	p := input.parameters
	is_object(p)
} else := {}

# The object under review.
review_object := input.review.object

# The `message` parameter when the constraint sets one, else the policy's own message.
# Every policy routes its messages through here, so any message can be overridden;
# the specifics stay in each violation's `details`.
message(default_msg) := msg if {
	msg := parameters.message
	is_string(msg)
	msg != ""
} else := default_msg

# The namespace of the reviewed object: the admission request's, else the object's own, else "".
namespace := ns if {
	ns := input.review.namespace
	is_string(ns)
	ns != ""
} else := ns if {
	ns := input.review.object.metadata.namespace
	is_string(ns)
} else := ""

# The labels of a namespace as synced into data.inventory (see the policies' READMEs), or {}.
namespace_labels(ns) := labels if {
	labels := data.inventory.cluster.v1.Namespace[ns].metadata.labels
	is_object(labels)
} else := {}

# The API group of an object's apiVersion: "" for the core group ("v1").
api_group(obj) := group if {
	parts := split(obj.apiVersion, "/")
	count(parts) == 2
	group := parts[0]
} else := ""

# The object's name, or its generateName with a "*" when the server has not named it yet.
name(obj) := n if {
	n := obj.metadata.name
	is_string(n)
	n != ""
} else := concat("", [obj.metadata.generateName, "*"]) if {
	is_string(obj.metadata.generateName)
} else := "<unnamed>"

# "Kind namespace/name" (or "Kind name" for cluster-scoped objects), for messages.
describe(obj) := sprintf("%s %s/%s", [obj.kind, ns, name(obj)]) if {
	ns := object.get(obj, ["metadata", "namespace"], namespace)
	ns != ""
} else := sprintf("%s %s", [obj.kind, name(obj)])

# Identifies the object in every violation's details.
subject(obj) := {"kind": obj.kind, "namespace": object.get(obj, ["metadata", "namespace"], namespace), "name": name(obj)}
