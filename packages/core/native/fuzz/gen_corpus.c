/* gen_corpus - writes the seed corpus of each harness: the ops of the C unit tests' seed lab, maps and
 * unmaps, attaches and HWPT allocations as ioctl records and as batches, and snapshots of labs built
 * with them under every policy. Usage: gen_corpus <dir>. */
#include <sys/stat.h>

#include "fuzz.h"

static void put(const char *dir, const char *harness, int n, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%03d", dir, harness, n);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

struct buf {
	unsigned char data[16384];
	size_t len;
};

static void add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->data))
		exit(2);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* ioctl record: [u8 cmd][u16 length][struct] */
static void record(struct buf *b, uint8_t cmd, const void *arg, uint16_t len)
{
	uint8_t head[3] = { cmd, (uint8_t)len, (uint8_t)(len >> 8) };
	add(b, head, 3);
	add(b, arg, len);
}

/* batch record: [u32 cmd][u32 length][struct] padded to 8 bytes */
static void batch_record(struct buf *b, uint32_t cmd, const void *arg, uint32_t len)
{
	uint32_t padded = (8 + len + 7) & ~7u;
	uint32_t head[2] = { cmd, padded };
	add(b, head, 8);
	add(b, arg, len);
	static const unsigned char zero[8];
	add(b, zero, padded - 8 - len);
}

static struct ioasid_ioas_map map_of(uint32_t ioas, uint64_t iova, uint64_t length)
{
	return (struct ioasid_ioas_map){ .size = sizeof(struct ioasid_ioas_map),
					 .flags = IOASID_MAP_READ | IOASID_MAP_WRITE,
					 .ioas = ioas,
					 .iova = iova,
					 .length = length };
}

static struct ioasid_ioas_unmap unmap_of(uint32_t ioas, uint64_t iova, uint64_t length)
{
	return (struct ioasid_ioas_unmap){ .size = sizeof(struct ioasid_ioas_unmap), .ioas = ioas, .iova = iova, .length = length };
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "corpus";
	mkdir(dir, 0755);
	int n = 0;
	for (uint8_t policy = 0; policy < 4; policy++) {
		/* ioctl: maps of 4 KiB, 2 MiB and 1 GiB, an unmap that splits an area, an HWPT and an attach. */
		struct buf b = { .len = 0 };
		uint8_t head[2] = { policy, 2 };
		add(&b, head, 2);
		struct ioasid_ioas_map m1 = map_of(1, 0x100000000ull, 0x1000);
		struct ioasid_ioas_map m2 = map_of(1, 0x200000ull, 0x400000);
		struct ioasid_ioas_map m3 = map_of(2, 0x40000000ull, 0x40000000ull);
		struct ioasid_ioas_unmap u = unmap_of(1, 0x300000ull, 0x1000);
		struct ioasid_hwpt_alloc h = { .size = sizeof(h), .flags = IOASID_HWPT_HAS_ENFORCE, .ioas = 1 };
		fuzz_name(h.iommu, "I1");
		struct ioasid_vm_attach a = { .size = sizeof(a) };
		fuzz_name(a.vm, "VM2");
		fuzz_name(a.device, "D");
		struct ioasid_vm_detach d = { .size = sizeof(d) };
		fuzz_name(d.vm, "VM1");
		fuzz_name(d.device, "B");
		record(&b, IOASID_CMD_IOAS_MAP, &m1, sizeof(m1));
		record(&b, IOASID_CMD_IOAS_MAP, &m2, sizeof(m2));
		record(&b, IOASID_CMD_IOAS_MAP, &m3, sizeof(m3));
		record(&b, IOASID_CMD_IOAS_UNMAP, &u, sizeof(u));
		record(&b, IOASID_CMD_HWPT_ALLOC, &h, sizeof(h));
		record(&b, IOASID_CMD_VM_ATTACH, &a, sizeof(a));
		record(&b, IOASID_CMD_VM_DETACH, &d, sizeof(d));
		put(dir, "fuzz_ioctl", n, b.data, b.len);

		/* batch: the same maps and unmap, plain (flags 0) and atomic with a refused overlap last. */
		for (uint8_t atomic = 0; atomic < 2; atomic++) {
			struct buf c = { .len = 0 };
			uint8_t h2[2] = { policy, atomic };
			add(&c, h2, 2);
			batch_record(&c, IOASID_CMD_IOAS_MAP, &m1, sizeof(m1));
			batch_record(&c, IOASID_CMD_IOAS_MAP, &m2, sizeof(m2));
			batch_record(&c, IOASID_CMD_IOAS_UNMAP, &u, sizeof(u));
			batch_record(&c, IOASID_CMD_IOAS_MAP, &m2, sizeof(m2));
			put(dir, "fuzz_batch", n * 2 + atomic, c.data, c.len);
		}

		/* restore: snapshots of the seed lab after those ops. */
		struct ioasid_lab *lab = fuzz_seed_lab(policy, 2);
		fuzz_ioctl(lab, IOASID_CMD_IOAS_MAP, &m1, sizeof(m1));
		fuzz_ioctl(lab, IOASID_CMD_IOAS_MAP, &m2, sizeof(m2));
		fuzz_ioctl(lab, IOASID_CMD_IOAS_UNMAP, &u, sizeof(u));
		fuzz_ioctl(lab, IOASID_CMD_HWPT_ALLOC, &h, sizeof(h));
		fuzz_ioctl(lab, IOASID_CMD_VM_ATTACH, &a, sizeof(a));
		if (ioasid_lab_serialize(lab, fuzz_out, FUZZ_OUT_CAP) == 0) {
			uint32_t len = 0;
			unsigned char *snap = fuzz_output(lab, &len);
			put(dir, "fuzz_restore", n, snap, len);
			free(snap);
		}
		ioasid_lab_destroy(lab);
		n++;
	}
	/* ops: pseudo-random op streams of several lengths (every byte string decodes to ops). */
	uint32_t seed = 2463534242u;
	for (int i = 0; i < 16; i++) {
		unsigned char bytes[512];
		size_t len = 32 + (size_t)i * 30;
		for (size_t j = 0; j < len; j++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			bytes[j] = (unsigned char)seed;
		}
		bytes[0] = (unsigned char)(i % 4);
		put(dir, "fuzz_ops", i, bytes, len);
	}
	return 0;
}
