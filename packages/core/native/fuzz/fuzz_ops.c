/* fuzz_ops - random op sequences that mostly make sense (names and ids from the lab, page-aligned
 * ranges, now and then a raw 64-bit value), checking the model's invariants after every op: areas
 * never overlap, every HWPT's counters equal a walk of its table and it maps exactly its IOAS's areas;
 * and at the end restore(serialize(x)) == x. */
#include "fuzz.h"

struct reader {
	const uint8_t *data;
	size_t size, at;
};

static uint8_t u8(struct reader *r)
{
	return r->at < r->size ? r->data[r->at++] : 0;
}

static uint64_t u64(struct reader *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)u8(r) << (8 * i);
	return v;
}

static const char *NAMES[] = { "I0", "I1", "A", "B", "C", "D", "E", "VM1", "VM2", "VM3" };

static const char *name(struct reader *r)
{
	return NAMES[u8(r) % (sizeof(NAMES) / sizeof(NAMES[0]))];
}

/* Mostly small page-aligned addresses (so ranges meet and overlap), sometimes 2 MiB / 1 GiB aligned,
 * sometimes anything at all. */
static uint64_t address(struct reader *r)
{
	uint8_t kind = u8(r) % 8;
	if (kind == 0)
		return u64(r);
	if (kind == 1)
		return (uint64_t)(u8(r) % 8) << 30;
	if (kind == 2)
		return (uint64_t)(u8(r) % 64) << 21;
	return ((uint64_t)u8(r) | ((uint64_t)(u8(r) % 4) << 8)) << 12;
}

static uint64_t length(struct reader *r)
{
	uint8_t kind = u8(r) % 8;
	if (kind == 0)
		return u64(r);
	if (kind == 1)
		return (uint64_t)(1 + u8(r) % 4) << 30;
	if (kind == 2)
		return (uint64_t)(1 + u8(r) % 16) << 21;
	return (uint64_t)(1 + u8(r) % 64) << 12;
}

static void iommu_add(struct ioasid_lab *lab, struct reader *r)
{
	struct ioasid_iommu_add a = { .size = sizeof(a), .flags = u8(r) & 0xf, .vendor = u8(r) % 4 };
	fuzz_name(a.name, name(r));
	a.page_sizes = u8(r) & 7;
	a.iova_bits = (uint32_t[]){ 39, 48, 57, 40 }[u8(r) % 4];
	a.nr_reserved = u8(r) % 3;
	for (uint32_t i = 0; i < a.nr_reserved; i++)
		a.reserved[i] = (struct ioasid_reserved_region){ address(r), length(r), u8(r) % 4, 0 };
	fuzz_ioctl(lab, IOASID_CMD_IOMMU_ADD, &a, sizeof(a));
}

/* The two IOAS ops past the common ones: a copy between IOASes, or a new set of allowed ranges. */
static void copy_or_allow(struct ioasid_lab *lab, struct reader *r, uint32_t id)
{
	if (u8(r) & 1) {
		struct ioasid_ioas_copy c = { .size = sizeof(c), .flags = u8(r) & 3, .dst_ioas = id,
					      .src_ioas = 1 + u8(r) % 12 };
		c.dst_iova = address(r);
		c.src_iova = address(r);
		c.length = length(r);
		fuzz_ioctl(lab, IOASID_CMD_IOAS_COPY, &c, sizeof(c));
	} else {
		struct ioasid_ioas_allow a = { .size = sizeof(a), .ioas = id, .nr_ranges = u8(r) % 4 };
		for (uint32_t i = 0; i < a.nr_ranges; i++) {
			uint64_t start = address(r);
			a.ranges[i] = (struct ioasid_iova_range){ start, start + length(r) - 1 };
		}
		fuzz_ioctl(lab, IOASID_CMD_IOAS_ALLOW, &a, sizeof(a));
	}
}

/* One op from the input.
 * Long because it is one switch over every command, a few lines each: the ABI read in one place. */
static void one_op(struct ioasid_lab *lab, struct reader *r)
{
	uint32_t id = 1 + u8(r) % 12;
	switch (u8(r) % 13) {
	case 0:
		iommu_add(lab, r);
		break;
	case 1: {
		struct ioasid_device_add d = { .size = sizeof(d), .flags = u8(r) & 3, .group = u8(r) % 4,
					       .kind = u8(r) % 3, .requires_kvm = u8(r) % 4 };
		fuzz_name(d.name, name(r));
		fuzz_name(d.iommu, name(r));
		fuzz_ioctl(lab, IOASID_CMD_DEVICE_ADD, &d, sizeof(d));
		break;
	}
	case 2: {
		struct ioasid_device_remove d = { .size = sizeof(d) };
		fuzz_name(d.name, name(r));
		fuzz_ioctl(lab, IOASID_CMD_DEVICE_REMOVE, &d, sizeof(d));
		break;
	}
	case 3: {
		struct ioasid_vm_create v = { .size = sizeof(v), .flags = u8(r) & 1, .memory = length(r) };
		fuzz_name(v.name, name(r));
		v.nr_devices = u8(r) % 4;
		for (uint32_t i = 0; i < v.nr_devices; i++)
			fuzz_name(v.devices[i], name(r));
		fuzz_ioctl(lab, IOASID_CMD_VM_CREATE, &v, sizeof(v));
		break;
	}
	case 4: {
		struct ioasid_vm_destroy v = { .size = sizeof(v) };
		fuzz_name(v.vm, name(r));
		fuzz_ioctl(lab, IOASID_CMD_VM_DESTROY, &v, sizeof(v));
		break;
	}
	case 5: {
		struct ioasid_vm_attach a = { .size = sizeof(a), .flags = u8(r) & 1, .hwpt = id, .announce = u8(r) % 4 };
		fuzz_name(a.vm, name(r));
		fuzz_name(a.device, name(r));
		fuzz_ioctl(lab, IOASID_CMD_VM_ATTACH, &a, sizeof(a));
		break;
	}
	case 6: {
		struct ioasid_vm_detach d = { .size = sizeof(d) };
		fuzz_name(d.vm, name(r));
		fuzz_name(d.device, name(r));
		fuzz_ioctl(lab, IOASID_CMD_VM_DETACH, &d, sizeof(d));
		break;
	}
	case 7: {
		struct ioasid_device_replace d = { .size = sizeof(d), .flags = u8(r) & 7, .hwpt = id };
		fuzz_name(d.vm, name(r));
		fuzz_name(d.device, name(r));
		fuzz_ioctl(lab, IOASID_CMD_DEVICE_REPLACE, &d, sizeof(d));
		break;
	}
	case 8: {
		struct ioasid_ioas_map m = { .size = sizeof(m), .flags = u8(r) & 3, .ioas = id };
		m.iova = address(r);
		m.length = length(r);
		fuzz_ioctl(lab, IOASID_CMD_IOAS_MAP, &m, sizeof(m));
		break;
	}
	case 9: {
		struct ioasid_ioas_unmap u = { .size = sizeof(u), .ioas = id };
		u.iova = address(r);
		u.length = u8(r) == 0 ? UINT64_MAX : length(r);
		fuzz_ioctl(lab, IOASID_CMD_IOAS_UNMAP, &u, sizeof(u));
		break;
	}
	case 10: {
		struct ioasid_hwpt_alloc h = { .size = sizeof(h), .flags = u8(r) & 3, .ioas = id };
		fuzz_name(h.iommu, name(r));
		fuzz_ioctl(lab, IOASID_CMD_HWPT_ALLOC, &h, sizeof(h));
		break;
	}
	case 11: {
		struct ioasid_hwpt_destroy h = { .size = sizeof(h), .hwpt = id };
		fuzz_ioctl(lab, IOASID_CMD_HWPT_DESTROY, &h, sizeof(h));
		break;
	}
	default:
		copy_or_allow(lab, r, id);
		break;

	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct reader r = { data, size, 2 };
	struct ioasid_lab *lab = fuzz_seed_lab(data[0], data[1]);
	fuzz_check_model(lab);
	for (int ops = 0; r.at < r.size && ops < 48; ops++) {
		one_op(lab, &r);
		fuzz_check_model(lab);
	}
	fuzz_check_roundtrip(lab);
	ioasid_lab_destroy(lab);
	return 0;
}
