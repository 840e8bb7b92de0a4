/* vm_fields.h - a VM's stored facts, stated once.
 *
 * Each X(kind, field, json, description) line becomes a member of struct vm (lab_internal.h), a field of
 * the VM's snapshot record in this order (serialize.c), a key of the VM's state JSON (state.c), and a
 * property of the API's VmState schema (scripts/gen-abi.mjs reads this list and writes
 * packages/api/src/schemas/vm-fields.generated.ts). Adding a fact is one line here and `npm run gen`.
 *
 * Kinds: VM_HEX64 a 64-bit quantity, shown as "0x..." hex; VM_U32 a count; VM_BOOL a flag; VM_DEVICES
 * devices by name, in order.
 *
 * The name, the VM's IOAS id and wbinvd (derived from noncoherentDma) are not stored facts and are
 * written around this list. Changing the list changes the snapshot layout: bump SNAP_VERSION. */
#ifndef VM_FIELDS_H
#define VM_FIELDS_H

#define VM_FIELDS(X)                                                                                       \
	X(VM_HEX64, memory, "memory",                                                                     \
	  "Guest RAM, mapped into the VM's IOAS at creation: from IOVA 0, past the MSI window at 4 GiB")  \
	X(VM_U32, noncoherent, "noncoherentDma",                                                          \
	  "KVM's view: 1 when a kvm-vfio file was judged not enforced-coherent at the last "                \
	  "kvm_vfio_update_coherency(), else 0")                                                           \
	X(VM_BOOL, hazard, "coherencyHazard",                                                             \
	  "KVM treats the VM as coherent while one of its devices can bypass the caches")                  \
	X(VM_DEVICES, devices, "devices", "Attached devices, in attach order")                             \
	X(VM_DEVICES, kvm_files, "kvmFiles",                                                              \
	  "Devices whose file is on the VM's kvm-vfio device, in KVM_DEV_VFIO_FILE_ADD order")

/* The C type of each kind, for struct vm. */
#define VM_CTYPE_VM_HEX64 uint64_t
#define VM_CTYPE_VM_U32 uint32_t
#define VM_CTYPE_VM_BOOL bool
#define VM_CTYPE_VM_DEVICES struct pvec

#define VM_FIELD_MEMBER(kind, field, json, description) VM_CTYPE_##kind field;

#endif
