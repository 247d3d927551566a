# Pods stay in their own namespaces: no hostNetwork, hostPID or hostIPC, and no hostPath volumes.
package idphostnamespaces

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

host_settings := ["hostNetwork", "hostPID", "hostIPC"]

violation contains {"msg": core.message(msg), "details": object.union(core.subject(obj), {"setting": setting})} if {
	spec := workload.pod_spec(obj)
	some setting in host_settings
	spec[setting] == true
	msg := sprintf("%s must not set %s: true", [core.describe(obj), setting])
}

violation contains {"msg": core.message(msg), "details": details} if {
	spec := workload.pod_spec(obj)
	some volume in object.get(spec, "volumes", [])
	volume.hostPath
	msg := sprintf("%s must not mount the host path %q (volume %q)", [core.describe(obj), object.get(volume.hostPath, "path", ""), volume.name])
	details := object.union(core.subject(obj), {"setting": "hostPath", "volume": volume.name, "path": object.get(volume.hostPath, "path", "")})
}
