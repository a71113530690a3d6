/* Test harness for fpgagen_driver.c (tests/test_driver.py compiles it with gcc against a build's
 * driver/ folder and compares every output with the Python driver's).
 *
 *   pack IN.txt OUT.bin                          the build's input integers -> stream bytes
 *   unpack IN.bin OUT.txt                        stream bytes -> the build's logits
 *   packv WIDTH SIGNED TDATA IN.txt OUT.bin      any type: integers -> bytes
 *   unpackv WIDTH SIGNED COUNT IN.bin OUT.txt    any type: bytes -> integers
 *   quantize WIDTH FRAC SIGNED RND SAT IN.txt OUT.txt   doubles (C99 hex floats) -> integers
 *   quantize_image IN.txt OUT.txt                the build's input type and modes
 *   irq ISR                                      enable, read, acknowledge, disable the
 *                                                interrupt of a simulated core whose ISR is ISR
 *   run IN.txt GOLDEN.bin BUILD_ID STATUS OUT.txt SENT.bin
 *       fpgagen_infer against a simulated core + AXI DMA (the register hooks below override
 *       the driver's weak ones): logs every register write and cache call on stdout, writes the
 *       logits and the bytes the DMA sent. A start-less input or a wrong order is a failure.
 *       BUILD_ID 0 is the Vitis HLS core: its 4-bit control slave aliases 0x10.. onto
 *       AP_CTRL.., and a read of its 0x10 or 0x14 is a harness error.
 *   regs BUILD_ID STATUS                         fpgagen_cycles and fpgagen_status of an idle
 *                                                simulated core: "NAME rc N value V"
 *   crc IN.bin                                   fpgagen_crc32 of the file's bytes
 *   wload IN.txt GOLDEN.bin WEIGHTS.bin FAULT OUT.txt
 *       a core whose bitstream holds no weights: fpgagen_infer first ("before RC": refused),
 *       then fpgagen_load_weights of WEIGHTS.bin ("load RC CRC"), then fpgagen_infer ("after
 *       RC", the logits to OUT.txt). The simulated loader computes its own CRC-32 of what the
 *       DMA delivered; FAULT 1 flips a byte on the way, 2 delivers a beat less (an error).
 *
 * Integers are decimal, one per line. The exit status is 0, or 1 with the driver's return code
 * on stdout as "rc N" (a driver error), or 2 for a harness error.
 */
#include "fpgagen_driver.h"
#include "fpgagen_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "driver_pack_main: %s\n", what);
    exit(2);
}

static size_t read_ints(const char *path, int64_t **out)
{
    FILE *f = fopen(path, "r");
    size_t n = 0, cap = 1024;
    long long v;
    int64_t *a = malloc(cap * sizeof *a);
    if (f == NULL || a == NULL) {
        die("cannot read the integer file");
    }
    while (fscanf(f, "%lld", &v) == 1) {
        if (n == cap) {
            cap *= 2;
            a = realloc(a, cap * sizeof *a);
            if (a == NULL) {
                die("out of memory");
            }
        }
        a[n++] = (int64_t)v;
    }
    fclose(f);
    *out = a;
    return n;
}

static size_t read_doubles(const char *path, double **out)
{
    FILE *f = fopen(path, "r");
    size_t n = 0, cap = 1024;
    char word[128];
    double *a = malloc(cap * sizeof *a);
    if (f == NULL || a == NULL) {
        die("cannot read the float file");
    }
    while (fscanf(f, "%127s", word) == 1) {
        if (n == cap) {
            cap *= 2;
            a = realloc(a, cap * sizeof *a);
            if (a == NULL) {
                die("out of memory");
            }
        }
        a[n++] = strtod(word, NULL); /* hex floats, inf and nan included */
    }
    fclose(f);
    *out = a;
    return n;
}

static size_t read_bytes(const char *path, uint8_t **out)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0, cap = 4096, got;
    uint8_t *a = malloc(cap);
    if (f == NULL || a == NULL) {
        die("cannot read the byte file");
    }
    while ((got = fread(a + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            a = realloc(a, cap);
            if (a == NULL) {
                die("out of memory");
            }
        }
    }
    fclose(f);
    *out = a;
    return n;
}

static void write_bytes(const char *path, const uint8_t *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        die("cannot write the byte file");
    }
}

static void write_ints(const char *path, const int64_t *v, size_t n)
{
    FILE *f = fopen(path, "w");
    size_t i;
    if (f == NULL) {
        die("cannot write the integer file");
    }
    for (i = 0; i < n; i++) {
        fprintf(f, "%lld\n", (long long)v[i]);
    }
    if (fclose(f) != 0) {
        die("cannot write the integer file");
    }
}

static int check(int rc)
{
    if (rc != FPGAGEN_OK) {
        printf("rc %d %s\n", rc, fpgagen_strerror(rc));
        exit(1);
    }
    return rc;
}

void fpgagen_cache_flush(const void *addr, size_t bytes)
{
    (void)addr;
    printf("flush %lu\n", (unsigned long)bytes);
}

void fpgagen_cache_invalidate(void *addr, size_t bytes)
{
    (void)addr;
    printf("invalidate %lu\n", (unsigned long)bytes);
}

static int irq(char **argv)
{
    fpgagen_dev dev;
    fpgagen_init(&dev, CORE_BASE, DMA_BASE);
    sim.isr = (uint32_t)strtoul(argv[2], NULL, 0);
    fpgagen_interrupt_enable(&dev, FPGAGEN_IRQ_DONE);
    printf("isr 0x%x\n", (unsigned)fpgagen_interrupt_status(&dev));
    fpgagen_interrupt_ack(&dev, FPGAGEN_IRQ_DONE | FPGAGEN_IRQ_READY);
    printf("isr 0x%x\n", (unsigned)fpgagen_interrupt_status(&dev));
    fpgagen_interrupt_disable(&dev);
    return 0;
}

static int run(char **argv)
{
    static int64_t logits[FPGAGEN_OUT_VALUES];
    static union { uint64_t align; uint8_t b[FPGAGEN_IN_BUFFER_BYTES]; } in_buf;
    static union { uint64_t align; uint8_t b[FPGAGEN_OUT_BUFFER_BYTES]; } out_buf;
    fpgagen_dev dev;
    int64_t *x;
    uint8_t *golden;
    uint32_t cycles = 0;
    int rc;

    if (read_ints(argv[2], &x) != FPGAGEN_IN_VALUES) {
        die("wrong number of input values");
    }
    sim.golden_len = read_bytes(argv[3], &golden);
    sim.golden = golden;
    sim.build_id = (uint32_t)strtoul(argv[4], NULL, 0);
    sim.status = (uint32_t)strtoul(argv[5], NULL, 0);
    sim.wstate = FPGAGEN_WEIGHTS_LOADED; /* the bitstream's weights */
    sim.idle = 1;
    sim.mm2s_sr = sim.s2mm_sr = FPGAGEN_DMASR_HALTED; /* after reset */
    fpgagen_init(&dev, CORE_BASE, DMA_BASE);
    dev.timeout = 1000;
    rc = fpgagen_check_build_id(&dev);
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_dma_reset(&dev);
    }
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_infer(&dev, x, logits, in_buf.b, out_buf.b, &cycles);
    }
    if (cycles == FPGAGEN_CYCLES_UNAVAILABLE) {
        printf("cycles unavailable\n");
    } else {
        printf("cycles %lu\n", (unsigned long)cycles);
    }
    if (sim.errors) {
        return 2;
    }
    check(rc);
    write_ints(argv[6], logits, FPGAGEN_OUT_VALUES);
    write_bytes(argv[7], sim.sent, sim.sent_len);
    return 0;
}

static int cmd_regs(char **argv)
{
    fpgagen_dev dev;
    uint32_t v = 0;
    int rc;

    sim.build_id = (uint32_t)strtoul(argv[2], NULL, 0);
    sim.status = (uint32_t)strtoul(argv[3], NULL, 0);
    sim.idle = 1;
    fpgagen_init(&dev, CORE_BASE, DMA_BASE);
    rc = fpgagen_cycles(&dev, &v);
    printf("cycles rc %d value %lu\n", rc, (unsigned long)v);
    v = 0;
    rc = fpgagen_status(&dev, &v);
    printf("status rc %d value %lu\n", rc, (unsigned long)v);
    printf("%s\n", fpgagen_strerror(FPGAGEN_ERR_UNAVAILABLE));
    return sim.errors ? 2 : 0;
}

static int wload(char **argv)
{
    static int64_t logits[FPGAGEN_OUT_VALUES];
    static union { uint64_t align; uint8_t b[FPGAGEN_IN_BUFFER_BYTES]; } in_buf;
    static union { uint64_t align; uint8_t b[FPGAGEN_OUT_BUFFER_BYTES]; } out_buf;
    fpgagen_dev dev;
    int64_t *x;
    uint8_t *golden, *w;
    size_t nw;
    uint32_t cycles = 0, crc = 0;
    int rc;

    if (read_ints(argv[2], &x) != FPGAGEN_IN_VALUES) {
        die("wrong number of input values");
    }
    sim.golden_len = read_bytes(argv[3], &golden);
    sim.golden = golden;
    nw = read_bytes(argv[4], &w);
    sim.fault = atoi(argv[5]);
    sim.build_id = FPGAGEN_BUILD_ID;
    sim.wstate = 0; /* no weights in the bitstream */
    sim.idle = 1;
    sim.mm2s_sr = sim.s2mm_sr = FPGAGEN_DMASR_HALTED;
    fpgagen_init(&dev, CORE_BASE, DMA_BASE);
    dev.timeout = 1000;
    rc = fpgagen_dma_reset(&dev);
    if (rc != FPGAGEN_OK) {
        die("dma reset");
    }
    printf("before %d\n", fpgagen_infer(&dev, x, logits, in_buf.b, out_buf.b, &cycles));
    rc = fpgagen_load_weights(&dev, w, (uint32_t)nw, &crc);
    printf("load %d 0x%08lx\n", rc, (unsigned long)crc);
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_infer(&dev, x, logits, in_buf.b, out_buf.b, &cycles);
        printf("after %d\n", rc);
        if (rc == FPGAGEN_OK) {
            write_ints(argv[6], logits, FPGAGEN_OUT_VALUES);
        }
    }
    return sim.errors ? 2 : 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    int64_t *x;
    uint8_t *b;
    double *d;
    size_t n;

    if (strcmp(cmd, "regs") == 0 && argc == 4) {
        return cmd_regs(argv);
    }
    if (strcmp(cmd, "pack") == 0 && argc == 4) {
        static uint8_t buf[FPGAGEN_IN_BUFFER_BYTES];
        n = read_ints(argv[2], &x);
        check(fpgagen_pack_image(x, n, buf, sizeof buf));
        write_bytes(argv[3], buf, sizeof buf);
    } else if (strcmp(cmd, "unpack") == 0 && argc == 4) {
        static int64_t logits[FPGAGEN_OUT_VALUES];
        n = read_bytes(argv[2], &b);
        check(fpgagen_unpack_logits(b, n, logits, FPGAGEN_OUT_VALUES));
        write_ints(argv[3], logits, FPGAGEN_OUT_VALUES);
    } else if (strcmp(cmd, "packv") == 0 && argc == 7) {
        unsigned width = (unsigned)atoi(argv[2]), tdata = (unsigned)atoi(argv[4]);
        unsigned vb = fpgagen_value_bytes(width);
        size_t whole;
        n = read_ints(argv[5], &x);
        whole = tdata && vb ? (n * vb + tdata - 1) / tdata * tdata : 0;
        b = malloc(whole + 1);
        check(fpgagen_pack_values(x, n, width, atoi(argv[3]), tdata, b, whole));
        write_bytes(argv[6], b, whole);
    } else if (strcmp(cmd, "unpackv") == 0 && argc == 7) {
        size_t count = (size_t)strtoul(argv[4], NULL, 10);
        size_t nb = read_bytes(argv[5], &b);
        x = malloc((count + 1) * sizeof *x);
        check(fpgagen_unpack_values(b, nb, (unsigned)atoi(argv[2]), atoi(argv[3]), x, count));
        write_ints(argv[6], x, count);
    } else if (strcmp(cmd, "quantize") == 0 && argc == 9) {
        n = read_doubles(argv[7], &d);
        x = malloc((n + 1) * sizeof *x);
        check(fpgagen_quantize_mode(d, n, (unsigned)atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                                    atoi(argv[5]), atoi(argv[6]), x));
        write_ints(argv[8], x, n);
    } else if (strcmp(cmd, "quantize_image") == 0 && argc == 4) {
        n = read_doubles(argv[2], &d);
        x = malloc((n + 1) * sizeof *x);
        check(fpgagen_quantize_image(d, n, x));
        write_ints(argv[3], x, n);
    } else if (strcmp(cmd, "irq") == 0 && argc == 3) {
        return irq(argv);
    } else if (strcmp(cmd, "run") == 0 && argc == 8) {
        return run(argv);
    } else if (strcmp(cmd, "wload") == 0 && argc == 7) {
        return wload(argv);
    } else if (strcmp(cmd, "crc") == 0 && argc == 3) {
        n = read_bytes(argv[2], &b);
        printf("0x%08lx\n", (unsigned long)fpgagen_crc32(b, n));
    } else {
        die("usage: see the comment at the top of driver_pack_main.c");
    }
    return 0;
}
