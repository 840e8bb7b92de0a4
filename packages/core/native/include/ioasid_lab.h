/* ioasid_lab.h - the ABI of the IOASID core: one lab context, ioctl-shaped entry points.
 * Every entry point returns 0 or a negative errno; structs start with their size. */
#ifndef IOASID_LAB_H
#define IOASID_LAB_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define IOASID_API __attribute__((visibility("default")))
#else
#define IOASID_API
#endif

#define IOASID_ABI_VERSION 2

/* Names of IOMMUs, devices and VMs: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, NUL-padded, no NUL needed at 64. */
#define IOASID_NAME_LEN 64
#define IOASID_MAX_RESERVED 8
#define IOASID_MAX_VM_DEVICES 32
/* Like copy_struct_from_user(): a struct larger than a page is refused with E2BIG. */
#define IOASID_MAX_STRUCT_SIZE 4096

struct ioasid_lab;

/* Every enum value carries its name on the wire in a comment: scripts/gen-abi.mjs reads them from here. */
enum ioasid_policy {
	IOASID_POLICY_TYPE1 = 0,    /* type1 */
	IOASID_POLICY_IOMMUFD = 1,  /* iommufd */
	IOASID_POLICY_SHARED = 2,   /* shared */
	IOASID_POLICY_EXPLICIT = 3, /* explicit */
};

/* Kernel profiles: which Linux release's rules a lab follows (docs/kernels.md). The order is the
 * release order; a lab made without IOASID_LIMITS_KERNEL follows IOASID_KERNEL_6_12. */
enum ioasid_kernel {
	IOASID_KERNEL_6_1 = 0,  /* 6.1: VFIO type1 only; KVM judges a group by its container */
	IOASID_KERNEL_6_6 = 1,  /* 6.6: 6.2 until commit 2ccabf81ddff, iommufd upgrades domains at attach */
	IOASID_KERNEL_6_12 = 2, /* 6.12: today, enforcement decided at domain allocation only */
	IOASID_KERNEL_MAX,
};

enum ioasid_vendor {
	IOASID_VENDOR_VTD = 0,    /* intel-vtd */
	IOASID_VENDOR_AMD = 1,    /* amd-vi */
	IOASID_VENDOR_SMMUV3 = 2, /* arm-smmuv3 */
};
enum ioasid_resv_kind {
	IOASID_RESV_MSI = 0,      /* msi */
	IOASID_RESV_RESERVED = 1, /* reserved */
	IOASID_RESV_DIRECT = 2,   /* direct */
};
enum ioasid_device_kind {
	IOASID_DEVICE_PCI = 0,  /* pci */
	IOASID_DEVICE_MDEV = 1, /* mdev */
};
enum ioasid_requires_kvm {
	IOASID_KVM_NONE = 0,  /* none */
	IOASID_KVM_AP = 1,    /* ap */
	IOASID_KVM_KVMGT = 2, /* kvmgt */
};
enum ioasid_announce {
	IOASID_ANNOUNCE_BEFORE = 0, /* before */
	IOASID_ANNOUNCE_AFTER = 1,  /* after */
	IOASID_ANNOUNCE_NEVER = 2,  /* never */
};

#define IOASID_PGSIZE_4K (1u << 0)
#define IOASID_PGSIZE_2M (1u << 1)
#define IOASID_PGSIZE_1G (1u << 2)

/*
 * Commands of ioasid_lab_ioctl() and of batch records. Command `a.b` takes struct ioasid_a_b, and that
 * struct's `json:` comments state the op's JSON shape: scripts/gen-abi.mjs generates the TypeScript encoder
 * (packages/core/src/op-encoders.generated.ts) and the API's op schemas and types (packages/api/src/schemas/
 * op-fields.generated.ts) from them, so a field of an op is one line here. Every field but size, flags,
 * __reserved and list counts has one, in the field's comment:
 *
 *   json: KEY[?] SCHEMA [has=FLAG] [new=FLAG] [count=FIELD] [max=N]
 *
 *   KEY       the op's JSON key; `?` when it may be left out (the field then stays 0)
 *   SCHEMA    Name, Id, U64, IovaBits or PageSizes (a u32 of IOASID_PGSIZE_* bits) as in packages/api's
 *             schemas/common.ts; enum, for a u32 holding the `enum ioasid_x` its comment names; names, for
 *             an array of names; list, for an array of structs (the element struct's fields have json: too)
 *   has=FLAG  when the key is given, IOASID_FLAG is set in flags
 *   new=FLAG  the key may also be "new", which sets IOASID_FLAG instead of the field
 *   count=F   a list's length goes to field F; max=N bounds the API's list, where the core's bound is the
 *             array's length (a longer list is refused when encoded)
 *
 * A bit of flags that a boolean key sets is a comment line of its own, where the key comes in the JSON:
 *
 *   json: KEY[?] flag FLAG [default] [has=HAS]
 *
 *   default   the bit is set unless the key is false (otherwise: only when it is true)
 *   has=HAS   a tri-state: HAS is set when the key is given, FLAG when it is true
 */
enum ioasid_cmd {
	IOASID_CMD_REFUSE = 0, /* refuse: struct ioasid_refuse, an op the caller could not encode */
	IOASID_CMD_IOMMU_ADD = 1, /* iommu.add */
	IOASID_CMD_DEVICE_ADD = 2, /* device.add */
	IOASID_CMD_DEVICE_REMOVE = 3, /* device.remove */
	IOASID_CMD_VM_CREATE = 4, /* vm.create */
	IOASID_CMD_VM_DESTROY = 5, /* vm.destroy */
	IOASID_CMD_VM_ATTACH = 6, /* vm.attach */
	IOASID_CMD_VM_DETACH = 7, /* vm.detach */
	IOASID_CMD_DEVICE_REPLACE = 8, /* device.replace */
	IOASID_CMD_IOAS_MAP = 9, /* ioas.map */
	IOASID_CMD_IOAS_UNMAP = 10, /* ioas.unmap */
	IOASID_CMD_HWPT_ALLOC = 11, /* hwpt.alloc */
	IOASID_CMD_HWPT_DESTROY = 12, /* hwpt.destroy */
	IOASID_CMD_IOAS_COPY = 13, /* ioas.copy */
	IOASID_CMD_IOAS_ALLOW = 14, /* ioas.allow */
	IOASID_CMD_MAX,
};

/*
 * Op results (ioasid_lab_ioctl, ioasid_lab_batch) are binary records, little endian:
 *   u32 status (0, or the positive errno of a refusal)
 *   refusal: u16 message length, message bytes (UTF-8)
 *   success: u32 effect count, then per effect: u8 type (enum ioasid_effect), u8 field count, and per
 *            field: u8 key (enum ioasid_effect_key) and its value: a name is u8 length + bytes, HWPT/IOAS
 *            ids and noncoherentDma are u32, iova and length u64, enforceCacheCoherency u8.
 * A batch's output is its results one after another.
 */
enum ioasid_effect {
	IOASID_EFFECT_IOMMU_ADDED = 0, /* iommu.added */
	IOASID_EFFECT_DEVICE_ADDED = 1, /* device.added */
	IOASID_EFFECT_DEVICE_REMOVED = 2, /* device.removed */
	IOASID_EFFECT_VM_CREATED = 3, /* vm.created */
	IOASID_EFFECT_VM_DESTROYED = 4, /* vm.destroyed */
	IOASID_EFFECT_IOAS_CREATED = 5, /* ioas.created */
	IOASID_EFFECT_IOAS_DESTROYED = 6, /* ioas.destroyed */
	IOASID_EFFECT_IOAS_ALLOWED_CHANGED = 7, /* ioas.allowed_changed */
	IOASID_EFFECT_AREA_MAPPED = 8, /* area.mapped */
	IOASID_EFFECT_AREA_UNMAPPED = 9, /* area.unmapped */
	IOASID_EFFECT_HWPT_CREATED = 10, /* hwpt.created */
	IOASID_EFFECT_HWPT_DESTROYED = 11, /* hwpt.destroyed */
	IOASID_EFFECT_HWPT_SNOOP_DOWNGRADED = 12, /* hwpt.snoop_downgraded */
	IOASID_EFFECT_DEVICE_ATTACHED = 13, /* device.attached */
	IOASID_EFFECT_DEVICE_DETACHED = 14, /* device.detached */
	IOASID_EFFECT_DEVICE_REPLACED = 15, /* device.replaced */
	IOASID_EFFECT_VM_KVM_FILE_ADDED = 16, /* vm.kvm_file_added */
	IOASID_EFFECT_VM_KVM_FILE_REMOVED = 17, /* vm.kvm_file_removed */
	IOASID_EFFECT_VM_NONCOHERENT_CHANGED = 18, /* vm.noncoherent_changed */
	IOASID_EFFECT_VM_WBINVD_ON = 19, /* vm.wbinvd_on */
	IOASID_EFFECT_VM_WBINVD_OFF = 20, /* vm.wbinvd_off */
	IOASID_EFFECT_VM_HAZARD_ON = 21, /* vm.hazard_on */
	IOASID_EFFECT_VM_HAZARD_OFF = 22, /* vm.hazard_off */
	IOASID_EFFECT_HWPT_SNOOP_UPGRADED = 23, /* hwpt.snoop_upgraded */
	IOASID_EFFECT_MAX,
};

enum ioasid_effect_key {
	IOASID_KEY_VM = 0, /* vm */
	IOASID_KEY_DEVICE = 1, /* device */
	IOASID_KEY_IOMMU = 2, /* iommu */
	IOASID_KEY_HWPT = 3, /* hwpt */
	IOASID_KEY_FROM_HWPT = 4, /* fromHwpt */
	IOASID_KEY_IOAS = 5, /* ioas */
	IOASID_KEY_IOVA = 6, /* iova */
	IOASID_KEY_LENGTH = 7, /* length */
	IOASID_KEY_ENFORCE_CC = 8, /* enforceCacheCoherency */
	IOASID_KEY_NONCOHERENT_DMA = 9, /* noncoherentDma */
	IOASID_KEY_MAX,
};

struct ioasid_refuse {
	uint32_t size;
	uint32_t flags;
	uint32_t err; /* positive errno */
	uint32_t __reserved;
	char message[240];
};

struct ioasid_reserved_region {
	uint64_t start;  /* json: start U64 */
	uint64_t length; /* json: length U64 */
	uint32_t kind;   /* enum ioasid_resv_kind; json: kind enum */
	uint32_t __reserved;
};

#define IOASID_IOMMU_ENFORCE_CC (1u << 0)
#define IOASID_IOMMU_HAS_PAGE_SIZES (1u << 1)
#define IOASID_IOMMU_HAS_IOVA_BITS (1u << 2)
#define IOASID_IOMMU_HAS_RESERVED (1u << 3) /* else the vendor's default regions */
struct ioasid_iommu_add {
	uint32_t size;
	uint32_t flags;
	char name[IOASID_NAME_LEN]; /* json: name Name */
	uint32_t vendor;            /* enum ioasid_vendor; json: vendor enum */
	/* json: enforceCacheCoherency flag IOMMU_ENFORCE_CC */
	uint32_t page_sizes; /* IOASID_PGSIZE_*; json: pageSizes? PageSizes has=IOMMU_HAS_PAGE_SIZES */
	uint32_t iova_bits;  /* 39, 48 or 57; json: iovaBits? IovaBits has=IOMMU_HAS_IOVA_BITS */
	uint32_t nr_reserved;
	/* json: reserved? list count=nr_reserved has=IOMMU_HAS_RESERVED max=64 */
	struct ioasid_reserved_region reserved[IOASID_MAX_RESERVED];
};

#define IOASID_DEVICE_NO_SNOOP (1u << 0)
#define IOASID_DEVICE_HAS_GROUP (1u << 1)
struct ioasid_device_add {
	uint32_t size;
	uint32_t flags;
	char name[IOASID_NAME_LEN];  /* json: name Name */
	char iommu[IOASID_NAME_LEN]; /* json: iommu Name */
	uint32_t group;              /* json: group? Id has=DEVICE_HAS_GROUP */
	uint32_t kind;               /* enum ioasid_device_kind; json: kind? enum */
	/* json: noSnoop? flag DEVICE_NO_SNOOP */
	uint32_t requires_kvm; /* enum ioasid_requires_kvm; json: requiresKvm? enum */
	uint32_t __reserved;
};

struct ioasid_device_remove {
	uint32_t size;
	uint32_t flags;
	char name[IOASID_NAME_LEN]; /* json: name Name */
};

#define IOASID_VM_HAS_MEMORY (1u << 0)
struct ioasid_vm_create {
	uint32_t size;
	uint32_t flags;
	char name[IOASID_NAME_LEN]; /* json: name Name */
	uint64_t memory;            /* json: memory? U64 has=VM_HAS_MEMORY */
	uint32_t nr_devices;
	uint32_t __reserved;
	char devices[IOASID_MAX_VM_DEVICES][IOASID_NAME_LEN]; /* json: devices? names count=nr_devices max=256 */
};

struct ioasid_vm_destroy {
	uint32_t size;
	uint32_t flags;
	char vm[IOASID_NAME_LEN]; /* json: vm Name */
};

#define IOASID_ATTACH_HAS_HWPT (1u << 0)
struct ioasid_vm_attach {
	uint32_t size;
	uint32_t flags;
	char vm[IOASID_NAME_LEN];     /* json: vm Name */
	char device[IOASID_NAME_LEN]; /* json: device Name */
	uint32_t hwpt;                /* json: hwpt? Id has=ATTACH_HAS_HWPT */
	uint32_t announce;            /* enum ioasid_announce; json: announceKvm? enum */
};

struct ioasid_vm_detach {
	uint32_t size;
	uint32_t flags;
	char vm[IOASID_NAME_LEN];     /* json: vm Name */
	char device[IOASID_NAME_LEN]; /* json: device Name */
};

#define IOASID_REPLACE_NEW (1u << 0)        /* allocate a fresh HWPT instead of hwpt */
#define IOASID_REPLACE_HAS_ENFORCE (1u << 1) /* with NEW: enforce as ENFORCE says, else as the IOMMU can */
#define IOASID_REPLACE_ENFORCE (1u << 2)
struct ioasid_device_replace {
	uint32_t size;
	uint32_t flags;
	char vm[IOASID_NAME_LEN];     /* json: vm Name */
	char device[IOASID_NAME_LEN]; /* json: device Name */
	uint32_t hwpt;                /* json: hwpt Id new=REPLACE_NEW */
	/* json: enforceCacheCoherency? flag REPLACE_ENFORCE has=REPLACE_HAS_ENFORCE */
	uint32_t __reserved;
};

#define IOASID_MAP_READ (1u << 0)
#define IOASID_MAP_WRITE (1u << 1)
struct ioasid_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas; /* json: ioas Id */
	uint32_t __reserved;
	uint64_t iova;   /* json: iova U64 */
	uint64_t length; /* json: length U64 */
	/* json: read? flag MAP_READ default */
	/* json: write? flag MAP_WRITE default */
};

/* iova 0 and length UINT64_MAX unmaps everything and succeeds on an empty IOAS. */
struct ioasid_ioas_unmap {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas; /* json: ioas Id */
	uint32_t __reserved;
	uint64_t iova;   /* json: iova U64 */
	uint64_t length; /* json: length U64 */
};

#define IOASID_HWPT_HAS_ENFORCE (1u << 0)
#define IOASID_HWPT_ENFORCE (1u << 1)
struct ioasid_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas; /* json: ioas Id */
	uint32_t __reserved;
	char iommu[IOASID_NAME_LEN]; /* json: iommu Name */
	/* json: enforceCacheCoherency? flag HWPT_ENFORCE has=HWPT_HAS_ENFORCE */
};

struct ioasid_hwpt_destroy {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt; /* json: hwpt Id */
	uint32_t __reserved;
};

/* IOMMU_IOAS_COPY with a fixed IOVA: the source range must be mapped without holes; each source area
 * it crosses becomes one area at the destination. WRITE needs writable sources (EPERM). */
struct ioasid_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas; /* json: ioas Id */
	uint32_t src_ioas; /* json: srcIoas Id */
	uint64_t dst_iova; /* json: iova U64 */
	uint64_t src_iova; /* json: srcIova U64 */
	uint64_t length;   /* json: length U64 */
	/* json: read? flag MAP_READ default */
	/* json: write? flag MAP_WRITE default */
};

/* IOMMU_IOAS_ALLOW_IOVAS: replaces the allowed ranges (none: everything allowed). A reserved range over an
 * allowed one is EADDRINUSE, now and whenever a device or domain later reserves one. */
#define IOASID_MAX_ALLOWED 16
struct ioasid_iova_range {
	uint64_t start; /* json: start U64 */
	uint64_t last;  /* inclusive; json: last U64 */
};
struct ioasid_ioas_allow {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas; /* json: ioas Id */
	uint32_t nr_ranges;
	struct ioasid_iova_range ranges[IOASID_MAX_ALLOWED]; /* json: ranges list count=nr_ranges */
};

struct ioasid_pagetable_query {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt;
	uint32_t limit; /* leaves per page, 1..4096 (0: 512) */
	uint64_t iova;
	uint64_t length; /* 0: to the end of the address space */
};

#define IOASID_LIMITS_KERNEL (1u << 0) /* kernel holds an enum ioasid_kernel */

struct ioasid_lab_limits {
	uint32_t size;
	uint32_t flags;
	uint32_t max_objects;     /* 0: default */
	uint32_t kernel;          /* enum ioasid_kernel, with IOASID_LIMITS_KERNEL; else must be 0 */
	uint64_t max_table_bytes; /* 0: default; at most IOASID_MAX_TABLE_BYTES */
};

/* The largest page-table budget a lab may have (created or restored): 1 GiB of tables holds 4 KiB leaves
 * for 512 GiB of IOVA. A snapshot asking for more is refused rather than trusted. */
#define IOASID_MAX_TABLE_BYTES (1ull << 30)

/*
 * Output convention: entry points that produce text or bytes write them into the lab's own buffer,
 * then copy them to out as [u32 length][bytes] when 4 + length <= out_cap; otherwise only the
 * length is written (out_cap >= 4) and ioasid_lab_fetch() copies the bytes into a larger buffer.
 * Op results are binary (see enum ioasid_effect); state and page-table walks are UTF-8 JSON, and so is the
 * error of a call refused as a whole: {"ok":false,"errno":N,"code":"E...","message":"...","effects":[]}.
 */
IOASID_API uint32_t ioasid_abi_version(void);

/* Creates an empty lab under policy (see enum ioasid_policy); NULL on bad policy or no memory. */
IOASID_API struct ioasid_lab *ioasid_lab_create(uint32_t policy);
/* As ioasid_lab_create with limits (and a kernel profile); *err gets 0 or a negative errno: -EINVAL for an
 * unknown policy or kernel, -EOPNOTSUPP for a policy the kernel lacks (iommufd before 6.2). */
IOASID_API struct ioasid_lab *ioasid_lab_create_limits(uint32_t policy, const struct ioasid_lab_limits *limits,
						       int32_t *err);
IOASID_API void ioasid_lab_destroy(struct ioasid_lab *lab);

/* Runs one op; returns 0 or the op's negative errno. The result JSON goes to out. */
IOASID_API int32_t ioasid_lab_ioctl(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t arg_len,
				    void *out, uint32_t out_cap);

/*
 * Runs many ops in one call. ops holds records [u32 cmd][u32 record length][struct...], each record
 * 8-byte aligned in length. Non-atomic: every op runs. IOASID_BATCH_ATOMIC: stops at the first
 * refusal and rolls the whole batch back. Output: one result record per op run (up to the refusal when
 * atomic), as for ioasid_lab_ioctl. IOASID_BATCH_REFUSED_ONLY: no result records; the output is one u32,
 * how many of the ops were refused (a replay that needs only that, such as a counterfactual shadow taking
 * a lab's ops as they commit). Returns the number of ops run or a negative errno for a malformed batch.
 */
#define IOASID_BATCH_ATOMIC (1u << 0)
#define IOASID_BATCH_REFUSED_ONLY (1u << 1)
IOASID_API int32_t ioasid_lab_batch(struct ioasid_lab *lab, const void *ops, uint32_t ops_len, uint32_t flags,
				    void *out, uint32_t out_cap);

/* The whole lab as JSON (CoreState of types.ts). */
IOASID_API int32_t ioasid_lab_state(struct ioasid_lab *lab, void *out, uint32_t out_cap);
/* Leaves of one HWPT in a range, as {"leaves":[...],"next":"0x..."|null}. */
IOASID_API int32_t ioasid_lab_pagetable(struct ioasid_lab *lab, const struct ioasid_pagetable_query *query,
					void *out, uint32_t out_cap);
/* Copies the last output (all of it) into out; returns its length, or -ENOSPC if out is too small. */
IOASID_API int32_t ioasid_lab_fetch(struct ioasid_lab *lab, void *out, uint32_t out_cap);

/* A binary snapshot of the lab (objects, areas, counters); page tables are rebuilt on restore. */
IOASID_API int32_t ioasid_lab_serialize(struct ioasid_lab *lab, void *out, uint32_t out_cap);
IOASID_API struct ioasid_lab *ioasid_lab_restore(const void *snapshot, uint32_t len, int32_t *err);
IOASID_API uint32_t ioasid_lab_policy(const struct ioasid_lab *lab);
IOASID_API uint32_t ioasid_lab_kernel(const struct ioasid_lab *lab); /* enum ioasid_kernel */

/* Benchmark helpers: a call that does nothing, and a plain loop writing n 64-bit entries into memory
 * allocated before the clock starts; returns nanoseconds. cold: 0 touched once just before (warm in
 * cache as far as it fits), 1 fresh from malloc (page faults), 2 touched once, then evicted from the
 * caches by writing 64 MiB elsewhere (as pooled table pages are when a map reuses them). */
IOASID_API int32_t ioasid_nop(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t arg_len, void *out,
			      uint32_t out_cap);
IOASID_API uint64_t ioasid_bench_baseline(uint64_t entries, uint32_t cold);
/* The ABI as compiled: for each struct, its sizeof, then offsetof and sizeof of each field, in the order of
 * this header (generated into src/abi_layout.c). Copies the table into out when cap is enough; returns
 * its length. The TypeScript binding checks its generated layout against it. */
IOASID_API int32_t ioasid_abi_layout(uint32_t *out, uint32_t cap);
/* Monotonic clock in nanoseconds, so benchmarks time C work without FFI noise. */
IOASID_API uint64_t ioasid_now_ns(void);

#endif
