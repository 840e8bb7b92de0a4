/* vm.c - VMs, their kvm-vfio device and KVM's non-coherent DMA view; hot-plug (announce, open, bind,
 * attach), hot-unplug and replace. Compound ops run as transactions: a refusal rolls the lab back whole. */
#include <stdlib.h>
#include <string.h>
#include "abi_names.h"
#include "lab_internal.h"

#define GIB (1ull << 30)
#define MSI_WINDOW_START 0xfee00000ull
#define HIGH_RAM_START (4ull << 30)

struct vm *vm_new(struct ioasid_lab *lab)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (vm && pvec_push(&lab->vms, vm)) {
		free(vm);
		return NULL;
	}
	return vm;
}

void vm_free(struct vm *vm)
{
	pvec_free(&vm->devices);
	pvec_free(&vm->kvm_files);
	free(vm);
}

/* Snapshot, run, and on refusal roll the whole lab back, so compound ops are all or nothing. */
int lab_transaction(struct ioasid_lab *lab, int (*fn)(struct ioasid_lab *lab, const void *arg),
			   const void *arg)
{
	struct sbuf snapshot = { 0 };
	char msg[sizeof(lab->msg)];
	int rc;

	rc = lab_serialize_to(lab, &snapshot);
	if (rc) {
		sb_free(&snapshot);
		return lab_err(lab, ENOMEM, "no memory for a snapshot");
	}
	rc = fn(lab, arg);
	if (rc) {
		memcpy(msg, lab->msg, sizeof(msg));
		if (lab_rollback(lab, &snapshot))
			rc = lab_err(lab, ENOMEM, "no memory to roll back");
		else
			memcpy(lab->msg, msg, sizeof(msg));
	}
	sb_free(&snapshot);
	return rc;
}

/* virt/kvm/vfio.c kvm_vfio_update_coherency(): every file is judged again on each FILE_ADD and FILE_DEL,
 * and the kvm-vfio device keeps one flag: registered non-coherent DMA (kvm_arch_register_noncoherent_dma)
 * while any file is not enforced-coherent. So noncoherentDma is 0 or 1 per VM, never a count of files. */
void kvm_update_coherency(struct ioasid_lab *lab, struct vm *vm)
{
	uint32_t flag = 0, old = vm->noncoherent;

	for (size_t i = 0; i < vm->kvm_files.n && !flag; i++)
		if (!lab->ops->file_coherent(lab, vm, vm->kvm_files.v[i]))
			flag = 1;
	if (flag == old)
		return;
	vm->noncoherent = flag;
	ef_begin(lab, IOASID_EFFECT_VM_NONCOHERENT_CHANGED);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_u32(lab, IOASID_KEY_NONCOHERENT_DMA, flag);
	ef_end(lab);
	ef_begin(lab, flag ? IOASID_EFFECT_VM_WBINVD_ON : IOASID_EFFECT_VM_WBINVD_OFF);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_end(lab);
}

/* Under the 2021 proposal the IOASID layer tells KVM whenever the VM's tables change. */
void kvm_tables_changed(struct ioasid_lab *lab, struct vm *vm)
{
	if (lab->ops->kvm_follows_tables)
		kvm_update_coherency(lab, vm);
}

static struct device *hazard_device(struct vm *vm)
{
	if (vm->noncoherent)
		return NULL;
	for (size_t i = 0; i < vm->devices.n; i++) {
		struct device *d = vm->devices.v[i];

		if (d->nosnoop && d->hwpt && !d->hwpt->enforce)
			return d;
	}
	return NULL;
}

void lab_update_hazards(struct ioasid_lab *lab)
{
	for (size_t i = 0; i < lab->vms.n; i++) {
		struct vm *vm = lab->vms.v[i];
		struct device *d = hazard_device(vm);

		if ((d != NULL) == vm->hazard)
			continue;
		vm->hazard = d != NULL;
		ef_begin(lab, d ? IOASID_EFFECT_VM_HAZARD_ON : IOASID_EFFECT_VM_HAZARD_OFF);
		ef_str(lab, IOASID_KEY_VM, vm->name);
		if (d) {
			ef_str(lab, IOASID_KEY_DEVICE, d->name);
			ef_u32(lab, IOASID_KEY_HWPT, d->hwpt->id);
		}
		ef_end(lab);
	}
}

static int kvm_file_add(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (pvec_push(&vm->kvm_files, dev))
		return lab_err(lab, ENOMEM, "no memory for a kvm-vfio file");
	dev->kvm_file = true;
	ef_begin(lab, IOASID_EFFECT_VM_KVM_FILE_ADDED);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_str(lab, IOASID_KEY_DEVICE, dev->name);
	ef_end(lab);
	kvm_update_coherency(lab, vm);
	return 0;
}

static void kvm_file_del(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	pvec_remove(&vm->kvm_files, dev);
	dev->kvm_file = false;
	ef_begin(lab, IOASID_EFFECT_VM_KVM_FILE_REMOVED);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_str(lab, IOASID_KEY_DEVICE, dev->name);
	ef_end(lab);
	kvm_update_coherency(lab, vm);
}

/* Under type1 QEMU adds one file per VFIO group: the group mate in vm that holds it, if any. */
static struct device *group_file_holder(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (!lab->ops->file_per_group)
		return dev->kvm_file ? dev : NULL;
	for (size_t i = 0; i < vm->kvm_files.n; i++) {
		struct device *d = vm->kvm_files.v[i];

		if (d->group == dev->group)
			return d;
	}
	return NULL;
}

/* Announces dev's file to vm's kvm-vfio device, unless its group's file is there already (type1). */
static int kvm_announce(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (group_file_holder(lab, vm, dev))
		return 0;
	return kvm_file_add(lab, vm, dev);
}

/* Removes dev's file as QEMU does when dev leaves: under type1 the group's file goes with the last device
 * of the group (vfio_put_group); while a mate stays, the file stays, held by that mate. */
static void kvm_unannounce(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (!dev->kvm_file)
		return;
	if (lab->ops->file_per_group) {
		for (size_t i = 0; i < vm->devices.n; i++) {
			struct device *mate = vm->devices.v[i];

			if (mate != dev && mate->group == dev->group) {
				long at = pvec_find(&vm->kvm_files, dev);

				vm->kvm_files.v[at] = mate;
				mate->kvm_file = true;
				dev->kvm_file = false;
				return;
			}
		}
	}
	kvm_file_del(lab, vm, dev);
}

/* Opening a vfio-ap or KVMGT device needs the KVM its file was announced to (vfio_ap_mdev_open_device,
 * intel_vgpu_open_device). */
static int device_open(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (dev->requires_kvm == IOASID_KVM_NONE || group_file_holder(lab, vm, dev))
		return 0;
	if (dev->requires_kvm == IOASID_KVM_AP)
		return lab_err(lab, EINVAL, "device %s (vfio-ap) cannot open: no KVM associated yet", dev->name);
	return lab_err(lab, ESRCH, "device %s (kvmgt) cannot open: no KVM associated yet", dev->name);
}

/* A hot-plug, resolved: the objects it names and how to announce the device to KVM. */
struct attach_req {
	struct vm *vm;
	struct device *dev;
	struct hwpt *target; /* NULL: the policy chooses */
	uint32_t announce;
};

/* Everything that refuses without changing anything, before a transaction starts; fills r->target. */
static int attach_precheck(struct ioasid_lab *lab, struct attach_req *r, bool has_hwpt, uint32_t hwpt)
{
	struct vm *vm = r->vm;
	struct device *dev = r->dev;

	r->target = NULL;
	if (dev->vm == vm)
		return lab_err(lab, EINVAL, "device %s is already attached in vm %s", dev->name, vm->name);
	if (dev->vm)
		return lab_err(lab, lab->ops->cdev_ownership ? EINVAL : EBUSY, "device %s is owned by vm %s", dev->name,
			       dev->vm->name);
	for (size_t i = 0; i < lab->devices.n; i++) {
		struct device *o = lab->devices.v[i];

		if (o != dev && o->group == dev->group && o->vm && o->vm != vm)
			return lab_err(lab, lab->ops->cdev_ownership ? EPERM : EBUSY,
				       "group %u of device %s is owned by vm %s", dev->group, dev->name, o->vm->name);
	}
	if (r->announce >= IOASID_ANNOUNCE_COUNT)
		return lab_err(lab, EINVAL, "vm.attach: unknown announceKvm %u", r->announce);
	if (!has_hwpt && lab->ops->needs_explicit_hwpt)
		return lab_err(lab, EINVAL, "policy %s: attaching device %s needs an explicit hwpt", lab->ops->name,
			       dev->name);
	if (has_hwpt) {
		r->target = lab_find_hwpt(lab, hwpt);
		if (!r->target)
			return lab_err(lab, ENOENT, "no hwpt %u", hwpt);
		if (r->target->ioas != vm->ioas)
			return lab_err(lab, EINVAL, "hwpt %u belongs to ioas %u, not to ioas %u of vm %s", hwpt,
				       r->target->ioas->id, vm->ioas->id, vm->name);
	}
	return 0;
}

static int attach_domain(struct ioasid_lab *lab, struct vm *vm, struct device *dev, struct hwpt *target)
{
	struct device *mate;

	if (target)
		return hwpt_attach(lab, vm, dev, target);
	/* A group shares one translation. type1 attaches whole groups to the container; shared keeps one table
	 * per family. iommufd's auto path (iommufd_device_auto_get_domain) only ever tries auto domains, so a
	 * mate on a user-allocated HWPT makes every try fail with -EINVAL (the group is on another HWPT). */
	mate = group_mate_attached(lab, dev);
	if (mate && lab->ops->mates_share_by_group)
		return hwpt_attach(lab, vm, dev, mate->hwpt);
	return lab->ops->auto_attach(lab, vm, dev);
}

/* Hot-plug in the order the lab's stack does it; no rollback here (callers run in a transaction). */
static int vm_attach_device(struct ioasid_lab *lab, struct vm *vm, struct device *dev, struct hwpt *target,
			    uint32_t announce)
{
	int rc;

	if (lab->ops->domain_before_kvm) {
		/* Legacy container: VFIO_GROUP_SET_CONTAINER attaches the domain before QEMU adds the group
		 * file to kvm-vfio, and the device fd is opened last. */
		dev->vm = vm;
		rc = attach_domain(lab, vm, dev, target);
		if (!rc && announce == IOASID_ANNOUNCE_BEFORE)
			rc = kvm_announce(lab, vm, dev);
		if (!rc)
			rc = device_open(lab, vm, dev);
	} else {
		/* QEMU's iommufd backend (hw/vfio/iommufd.c iommufd_cdev_attach): FILE_ADD of the device fd,
		 * bind (which opens the device), then attach to the IOAS. */
		rc = announce == IOASID_ANNOUNCE_BEFORE ? kvm_announce(lab, vm, dev) : 0;
		if (!rc)
			rc = device_open(lab, vm, dev);
		if (!rc) {
			dev->vm = vm; /* bound: the VM's iommufd owns it */
			rc = attach_domain(lab, vm, dev, target);
		}
	}
	if (!rc && announce == IOASID_ANNOUNCE_AFTER)
		rc = kvm_announce(lab, vm, dev);
	if (!rc && pvec_push(&vm->devices, dev))
		rc = lab_err(lab, ENOMEM, "no memory to attach device %s", dev->name);
	if (!rc)
		kvm_tables_changed(lab, vm);
	return rc;
}

static int lookup_vm_device(struct ioasid_lab *lab, const char *vm_field, const char *dev_field, struct vm **vm,
			    struct device **dev)
{
	char vm_name[IOASID_NAME_LEN + 1], dev_name[IOASID_NAME_LEN + 1];
	int rc;

	rc = lab_name_check(lab, "vm", vm_name, vm_field);
	if (!rc)
		rc = lab_name_check(lab, "device", dev_name, dev_field);
	if (rc)
		return rc;
	*vm = lab_find_vm(lab, vm_name);
	if (!*vm)
		return lab_err(lab, ENOENT, "no vm %s", vm_name);
	*dev = lab_find_device(lab, dev_name);
	if (!*dev)
		return lab_err(lab, ENOENT, "no device %s", dev_name);
	return 0;
}

static int do_vm_attach(struct ioasid_lab *lab, const void *arg)
{
	const struct attach_req *r = arg;

	return vm_attach_device(lab, r->vm, r->dev, r->target, r->announce);
}

int op_vm_attach(struct ioasid_lab *lab, const struct ioasid_vm_attach *a)
{
	struct attach_req r = { .announce = a->announce };
	int rc;

	rc = lookup_vm_device(lab, a->vm, a->device, &r.vm, &r.dev);
	if (!rc)
		rc = attach_precheck(lab, &r, a->flags & IOASID_ATTACH_HAS_HWPT, a->hwpt);
	if (rc)
		return rc;
	return lab_transaction(lab, do_vm_attach, &r);
}

/* Hot-unplug in QEMU's order. Legacy container (hw/vfio vfio_put_group): vfio_kvm_device_del_group()
 * first, so KVM re-judges the remaining files while this group is still in the container, then
 * vfio_disconnect_container(). iommufd backend (iommufd_cdev_detach): detach from the IOAS first, then
 * iommufd_cdev_kvm_device_del() as the device is unbound. */
static void vm_detach_device(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (lab->ops->domain_before_kvm)
		kvm_unannounce(lab, vm, dev);
	hwpt_detach(lab, dev);
	kvm_tables_changed(lab, vm);
	dev->vm = NULL;
	pvec_remove(&vm->devices, dev);
	if (!lab->ops->domain_before_kvm)
		kvm_unannounce(lab, vm, dev);
}

int op_vm_detach(struct ioasid_lab *lab, const struct ioasid_vm_detach *a)
{
	struct vm *vm;
	struct device *dev;
	int rc;

	rc = lookup_vm_device(lab, a->vm, a->device, &vm, &dev);
	if (rc)
		return rc;
	if (dev->vm != vm)
		return lab_err(lab, ENOENT, "device %s is not attached in vm %s", dev->name, vm->name);
	vm_detach_device(lab, vm, dev);
	return 0;
}

static int do_vm_create(struct ioasid_lab *lab, const void *arg)
{
	const struct ioasid_vm_create *a = arg;
	uint64_t memory = (a->flags & IOASID_VM_HAS_MEMORY) ? a->memory : GIB;
	struct vm *vm;
	struct ioas *ioas;
	int rc;

	rc = lab_take_object(lab, "a vm");
	if (!rc)
		rc = lab_take_object(lab, "an ioas");
	if (rc)
		return rc;
	vm = vm_new(lab);
	if (!vm)
		return lab_err(lab, ENOMEM, "no memory for a vm");
	memcpy(vm->name, a->name, strnlen(a->name, IOASID_NAME_LEN));
	vm->memory = memory;
	ioas = ioas_new(lab, lab->next_id++);
	if (!ioas)
		return lab_err(lab, ENOMEM, "no memory for an ioas");
	ioas->vm = vm;
	vm->ioas = ioas;
	ef_begin(lab, IOASID_EFFECT_VM_CREATED);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_u32(lab, IOASID_KEY_IOAS, ioas->id);
	ef_hex(lab, IOASID_KEY_LENGTH, memory);
	ef_end(lab);
	ef_begin(lab, IOASID_EFFECT_IOAS_CREATED);
	ef_u32(lab, IOASID_KEY_IOAS, ioas->id);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_end(lab);
	/* Guest RAM at IOVA 0; RAM past the x86 MSI window continues at 4 GiB. */
	if (memory <= MSI_WINDOW_START) {
		rc = ioas_map(lab, ioas, 0, memory, true, true);
	} else {
		rc = ioas_map(lab, ioas, 0, MSI_WINDOW_START, true, true);
		if (!rc)
			rc = ioas_map(lab, ioas, HIGH_RAM_START, memory - MSI_WINDOW_START, true, true);
	}
	/* Then "booted with": each device hot-plugged with the defaults, in order. */
	for (uint32_t i = 0; !rc && i < a->nr_devices; i++) {
		char name[IOASID_NAME_LEN + 1];
		struct attach_req r = { .vm = vm, .announce = IOASID_ANNOUNCE_BEFORE };

		rc = lab_name_check(lab, "device", name, a->devices[i]);
		if (rc)
			break;
		r.dev = lab_find_device(lab, name);
		if (!r.dev)
			rc = lab_err(lab, ENOENT, "no device %s", name);
		if (!rc)
			rc = attach_precheck(lab, &r, false, 0);
		if (!rc)
			rc = vm_attach_device(lab, r.vm, r.dev, r.target, r.announce);
	}
	return rc;
}

int op_vm_create(struct ioasid_lab *lab, const struct ioasid_vm_create *a)
{
	char name[IOASID_NAME_LEN + 1], dev_name[IOASID_NAME_LEN + 1];
	uint64_t memory = (a->flags & IOASID_VM_HAS_MEMORY) ? a->memory : GIB;
	int rc;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "vm.create: nonzero reserved field");
	rc = lab_name_check(lab, "vm", name, a->name);
	if (rc)
		return rc;
	if (lab_find_vm(lab, name))
		return lab_err(lab, EEXIST, "vm %s already exists", name);
	if (!memory || (memory & 4095))
		return lab_err(lab, EINVAL, "vm %s: memory 0x%llx is not a positive multiple of 4 KiB", name,
			       (unsigned long long)memory);
	if (a->nr_devices > IOASID_MAX_VM_DEVICES)
		return lab_err(lab, EINVAL, "vm %s: %u devices, at most %u", name, a->nr_devices, IOASID_MAX_VM_DEVICES);
	for (uint32_t i = 0; i < a->nr_devices; i++) {
		rc = lab_name_check(lab, "device", dev_name, a->devices[i]);
		if (rc)
			return rc;
		if (!lab_find_device(lab, dev_name))
			return lab_err(lab, ENOENT, "vm %s: no device %s", name, dev_name);
	}
	/* The unused slots must be zero; one memcmp per slot, not a branch per byte (2 KiB per op). */
	static const char empty[IOASID_NAME_LEN];
	for (uint32_t i = a->nr_devices; i < IOASID_MAX_VM_DEVICES; i++)
		if (memcmp(a->devices[i], empty, IOASID_NAME_LEN) != 0)
			return lab_err(lab, EINVAL, "vm %s: device slot %u is past nr_devices", name, i);
	return lab_transaction(lab, do_vm_create, a);
}

int op_vm_destroy(struct ioasid_lab *lab, const struct ioasid_vm_destroy *a)
{
	char name[IOASID_NAME_LEN + 1];
	struct vm *vm;
	int rc;

	rc = lab_name_check(lab, "vm", name, a->vm);
	if (rc)
		return rc;
	vm = lab_find_vm(lab, name);
	if (!vm)
		return lab_err(lab, ENOENT, "no vm %s", name);
	if (vm->devices.n)
		return lab_err(lab, EBUSY, "vm %s has device %s attached", name, ((struct device *)vm->devices.v[0])->name);
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->ioas == vm->ioas)
			return lab_err(lab, EBUSY, "ioas %u of vm %s is in use by hwpt %u", vm->ioas->id, name, h->id);
	}
	ef_begin(lab, IOASID_EFFECT_IOAS_DESTROYED);
	ef_u32(lab, IOASID_KEY_IOAS, vm->ioas->id);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_end(lab);
	ef_begin(lab, IOASID_EFFECT_VM_DESTROYED);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_end(lab);
	pvec_remove(&lab->ioas, vm->ioas);
	ioas_free(vm->ioas);
	pvec_remove(&lab->vms, vm);
	vm_free(vm);
	lab_put_object(lab);
	lab_put_object(lab);
	return 0;
}

struct replace_req {
	struct vm *vm;
	struct device *dev;
	struct hwpt *target; /* NULL: a fresh one */
	bool enforce;
};

static int do_replace(struct ioasid_lab *lab, const void *arg)
{
	const struct replace_req *r = arg;
	struct hwpt *old = r->dev->hwpt, *h = r->target;
	struct pvec moving = { 0 };
	int rc = 0;

	/* The kernel's "replace onto a new table" is IOMMU_HWPT_ALLOC then IOMMU_DEVICE_REPLACE: a
	 * user-allocated HWPT, which the auto path never picks and which outlives its last device. */
	if (!h)
		rc = hwpt_create(lab, r->vm->ioas, r->dev->iommu, r->enforce, false, &h);
	/* iommu_group_replace_domain(): the whole group moves. */
	for (size_t i = 0; !rc && i < old->devices.n; i++) {
		struct device *d = old->devices.v[i];

		if (d->group != r->dev->group)
			continue;
		rc = hwpt_upgrade_for(lab, h, d);
		if (!rc)
			rc = hwpt_compatible(lab, h, d);
		if (!rc)
			rc = hwpt_check_areas_for_device(lab, h->ioas, d);
		if (!rc && pvec_push(&moving, d))
			rc = lab_err(lab, ENOMEM, "no memory");
	}
	for (size_t i = 0; !rc && i < moving.n; i++) {
		struct device *d = moving.v[i];

		pvec_remove(&old->devices, d);
		if (pvec_push(&h->devices, d)) {
			rc = lab_err(lab, ENOMEM, "no memory");
			break;
		}
		d->hwpt = h;
		ef_begin(lab, IOASID_EFFECT_DEVICE_REPLACED);
		ef_str(lab, IOASID_KEY_VM, r->vm->name);
		ef_str(lab, IOASID_KEY_DEVICE, d->name);
		ef_u32(lab, IOASID_KEY_HWPT, h->id);
		ef_u32(lab, IOASID_KEY_FROM_HWPT, old->id);
		ef_end(lab);
	}
	pvec_free(&moving);
	if (rc)
		return rc;
	if (old->autod && !old->devices.n)
		hwpt_destroy(lab, old);
	kvm_tables_changed(lab, r->vm);
	return 0;
}

int op_device_replace(struct ioasid_lab *lab, const struct ioasid_device_replace *a)
{
	struct replace_req r = { 0 };
	int rc;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "device.replace: nonzero reserved field");
	if (lab->ops->no_replace)
		return lab_err(lab, EOPNOTSUPP,
			       "policy %s has no replace: a VFIO type1 container cannot move a group to another "
			       "domain atomically (unplug and plug it again instead)", lab->ops->name);
	rc = lookup_vm_device(lab, a->vm, a->device, &r.vm, &r.dev);
	if (rc)
		return rc;
	if (r.dev->vm != r.vm)
		return lab_err(lab, ENOENT, "device %s is not attached in vm %s", r.dev->name, r.vm->name);
	if (!(a->flags & IOASID_REPLACE_NEW)) {
		if (a->flags & (IOASID_REPLACE_HAS_ENFORCE | IOASID_REPLACE_ENFORCE))
			return lab_err(lab, EINVAL, "device.replace: enforceCacheCoherency only applies to a new hwpt");
		r.target = lab_find_hwpt(lab, a->hwpt);
		if (!r.target)
			return lab_err(lab, ENOENT, "no hwpt %u", a->hwpt);
		if (r.target->ioas != r.vm->ioas)
			return lab_err(lab, EINVAL, "hwpt %u belongs to ioas %u, not to ioas %u of vm %s", a->hwpt,
				       r.target->ioas->id, r.vm->ioas->id, r.vm->name);
		if (r.target == r.dev->hwpt)
			return 0;
	} else {
		if (a->hwpt)
			return lab_err(lab, EINVAL, "device.replace: a new hwpt takes no hwpt id");
		r.enforce = (a->flags & IOASID_REPLACE_HAS_ENFORCE) ? (a->flags & IOASID_REPLACE_ENFORCE) != 0
								    : r.dev->iommu->enforce;
		if (r.enforce && !r.dev->iommu->enforce)
			return lab_err(lab, EINVAL,
				       "iommu %s has no snoop control: a hwpt on it cannot enforce cache coherency",
				       r.dev->iommu->name);
	}
	return lab_transaction(lab, do_replace, &r);
}
