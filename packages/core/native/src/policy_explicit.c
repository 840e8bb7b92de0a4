/* policy_explicit.c - green field, user-defined: the user allocates HWPTs (enforcing or not) and names one on
 * every attach; refusals are errors, never silent fallbacks. KVM is told per table, as under shared. */
#include "abi_names.h"
#include "lab_internal.h"

static int explicit_auto_attach(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	(void)vm;
	return lab_err(lab, EINVAL, "policy explicit: attaching device %s needs an explicit hwpt", dev->name);
}

static bool explicit_file_coherent(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	(void)dev;
	return vm_tables_enforce(lab, vm);
}

const struct attach_policy_ops policy_explicit_ops = {
	.name = IOASID_POLICY_EXPLICIT_NAME,
	.auto_attach = explicit_auto_attach,
	.file_coherent = explicit_file_coherent,
	.kvm_follows_tables = true,
	.needs_explicit_hwpt = true,
	.area_conflict_errno = EADDRINUSE,
};
