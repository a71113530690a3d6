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

/* --- A simulated core and AXI DMA behind the driver's register hooks ---------------------- */

#define CORE_BASE ((uintptr_t)0x43C00000u)
#define DMA_BASE ((uintptr_t)0x40400000u)

static struct {
    uint32_t build_id, status, isr, ier;
    uint32_t wstate, wcrc;      /* WEIGHTS and WEIGHTS_CRC of the simulated loader */
    int load_armed, fault;
    int started, done, idle;
    uint32_t mm2s_cr, s2mm_cr, mm2s_sr, s2mm_sr;
    uint64_t mm2s_sa, s2mm_da;
    uint32_t s2mm_len, s2mm_received;
    int s2mm_armed;
    const uint8_t *golden;
    size_t golden_len;
    uint8_t sent[FPGAGEN_IN_BUFFER_BYTES];
    size_t sent_len;
    int errors;
} sim;

static void sim_error(const char *what)
{
    printf("SIM ERROR %s\n", what);
    sim.errors++;
}

/* The loader's own CRC-32 (bit by bit: independent of the driver's table). */
static uint32_t sim_crc(const uint8_t *d, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= d[i];
        for (k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        }
    }
    return ~c;
}

/* A weight load: the bytes the DMA delivered (FAULT: one flipped, or a beat short). */
static void sim_load(const uint8_t *src, size_t n)
{
    uint8_t *got = malloc(n + 1);
    if (got == NULL) {
        die("out of memory");
    }
    memcpy(got, src, n);
    if (sim.fault == 1 && n > 0) {
        got[n / 2] ^= 0x10u;
    }
    if (sim.fault == 2 && n >= FPGAGEN_TDATA_BYTES) {
        n -= FPGAGEN_TDATA_BYTES;
    }
    sim.wcrc = sim_crc(got, n);
    sim.wstate = n == FPGAGEN_WEIGHTS_BYTES ? FPGAGEN_WEIGHTS_LOADED : FPGAGEN_WEIGHTS_ERROR;
    sim.status = (sim.status & ~FPGAGEN_STATUS_LOADED)
                 | (sim.wstate & FPGAGEN_WEIGHTS_LOADED ? FPGAGEN_STATUS_LOADED : 0u);
    sim.load_armed = 0;
    free(got);
}

/* The core ran: its logits land in the armed S2MM buffer. */
static void sim_finish(void)
{
    size_t n = sim.golden_len < sim.s2mm_len ? sim.golden_len : sim.s2mm_len;
    memcpy((void *)(uintptr_t)sim.s2mm_da, sim.golden, n);
    sim.s2mm_received = (uint32_t)n;
    sim.s2mm_sr |= FPGAGEN_DMASR_IDLE;
    sim.started = 0;
    sim.done = 1;
    sim.idle = 1;
}

uint32_t fpgagen_reg_read(uintptr_t addr)
{
    if (addr >= CORE_BASE && addr < CORE_BASE + 0x40u) {
        uint32_t off = (uint32_t)(addr - CORE_BASE), v;
        if (sim.build_id == 0) {
            /* the Vitis HLS core: a 4-bit address, four registers; 0x10 is AP_CTRL again (and
             * its read clears ap_done), 0x14 GIE, 0x18 IER (the driver's BUILD_ID probe, with
             * IER cleared around it) */
            if (off == FPGAGEN_REG_CYCLES || off == FPGAGEN_REG_STATUS) {
                sim_error("read of an HLS core register that aliases AP_CTRL or GIE");
            }
            off &= 0xFu;
        }
        switch (off) {
        case FPGAGEN_REG_AP_CTRL:
            v = (sim.done ? FPGAGEN_AP_DONE : 0u) | (sim.idle ? FPGAGEN_AP_IDLE : 0u);
            sim.done = 0; /* clear on read */
            return v;
        case FPGAGEN_REG_CYCLES: return sim.build_id ? 4242u : 0u;
        case FPGAGEN_REG_STATUS: return sim.status;
        case FPGAGEN_REG_BUILD_ID: return sim.build_id;
        case FPGAGEN_REG_ISR: return sim.isr;
        case FPGAGEN_REG_IER: return sim.ier;
        case FPGAGEN_REG_WEIGHTS: return sim.build_id ? sim.wstate : sim.isr; /* HLS: ISR */
        case FPGAGEN_REG_WEIGHTS_CRC: return sim.build_id ? sim.wcrc : 0u;
        default: return 0;
        }
    }
    switch ((uint32_t)(addr - DMA_BASE)) {
    case FPGAGEN_DMA_MM2S_DMACR: return sim.mm2s_cr;
    case FPGAGEN_DMA_MM2S_DMASR: return sim.mm2s_sr;
    case FPGAGEN_DMA_S2MM_DMACR: return sim.s2mm_cr;
    case FPGAGEN_DMA_S2MM_DMASR: return sim.s2mm_sr;
    case FPGAGEN_DMA_S2MM_LENGTH: return sim.s2mm_received;
    default: sim_error("read of an unknown register"); return 0;
    }
}

void fpgagen_reg_write(uintptr_t addr, uint32_t value)
{
    int core = addr >= CORE_BASE && addr < CORE_BASE + 0x40u;
    uint32_t off = (uint32_t)(addr - (core ? CORE_BASE : DMA_BASE));
    printf("W %s 0x%02x 0x%x\n", core ? "core" : "dma", (unsigned)off, (unsigned)value);
    if (core) {
        if (off == FPGAGEN_REG_AP_CTRL && (value & FPGAGEN_AP_START)) {
            if (sim.build_id != 0 && !(sim.wstate & FPGAGEN_WEIGHTS_LOADED)) {
                sim.status |= FPGAGEN_STATUS_START_REFUSED; /* not passed on */
            } else {
                sim.status &= ~FPGAGEN_STATUS_START_REFUSED;
                sim.started = 1;
                sim.idle = 0;
            }
        }
        if (off == FPGAGEN_REG_WEIGHTS && (value & FPGAGEN_WEIGHTS_LOAD) && sim.build_id != 0) {
            sim.load_armed = 1;
            sim.wstate = FPGAGEN_WEIGHTS_BUSY;
        }
        if (off == FPGAGEN_REG_ISR) {
            sim.isr ^= value; /* toggle on write */
        }
        if (off == FPGAGEN_REG_IER) {
            sim.ier = value & 3u;
        }
        return;
    }
    switch (off) {
    case FPGAGEN_DMA_MM2S_DMACR:
        sim.mm2s_cr = value & ~FPGAGEN_DMACR_RESET;
        sim.mm2s_sr = (value & FPGAGEN_DMACR_RS) ? 0u : FPGAGEN_DMASR_HALTED;
        break;
    case FPGAGEN_DMA_S2MM_DMACR:
        sim.s2mm_cr = value;
        sim.s2mm_sr = (value & FPGAGEN_DMACR_RS) ? 0u : FPGAGEN_DMASR_HALTED;
        break;
    case FPGAGEN_DMA_MM2S_DMASR: case FPGAGEN_DMA_S2MM_DMASR: break; /* W1C irq bits */
    case FPGAGEN_DMA_MM2S_SA: sim.mm2s_sa = (sim.mm2s_sa & ~UINT64_C(0xFFFFFFFF)) | value; break;
    case FPGAGEN_DMA_MM2S_SA_MSB:
        sim.mm2s_sa = (sim.mm2s_sa & UINT64_C(0xFFFFFFFF)) | ((uint64_t)value << 32);
        break;
    case FPGAGEN_DMA_S2MM_DA: sim.s2mm_da = (sim.s2mm_da & ~UINT64_C(0xFFFFFFFF)) | value; break;
    case FPGAGEN_DMA_S2MM_DA_MSB:
        sim.s2mm_da = (sim.s2mm_da & UINT64_C(0xFFFFFFFF)) | ((uint64_t)value << 32);
        break;
    case FPGAGEN_DMA_S2MM_LENGTH:
        if (sim.s2mm_sr & FPGAGEN_DMASR_HALTED) {
            sim_error("S2MM length written while the channel is halted");
        }
        sim.s2mm_len = value;
        sim.s2mm_armed = 1;
        sim.s2mm_sr &= ~FPGAGEN_DMASR_IDLE;
        break;
    case FPGAGEN_DMA_MM2S_LENGTH:
        if (sim.mm2s_sr & FPGAGEN_DMASR_HALTED) {
            sim_error("MM2S length written while the channel is halted");
        }
        if (sim.load_armed) {
            if (sim.started) {
                sim_error("weights sent while the core runs");
            }
            sim_load((const uint8_t *)(uintptr_t)sim.mm2s_sa, value);
            sim.mm2s_sr |= FPGAGEN_DMASR_IDLE;
            break;
        }
        if (!sim.started) {
            sim_error("input sent before ap_start");
        }
        if (value != FPGAGEN_IN_BUFFER_BYTES) {
            sim_error("MM2S length is not the input buffer");
        }
        sim.sent_len = value < sizeof sim.sent ? value : sizeof sim.sent;
        memcpy(sim.sent, (const void *)(uintptr_t)sim.mm2s_sa, sim.sent_len);
        sim.mm2s_sr |= FPGAGEN_DMASR_IDLE;
        if (!sim.s2mm_armed) {
            sim_error("output channel not armed when the input was sent");
        } else if (sim.status & FPGAGEN_STATUS_FRAME_ERROR) {
            sim.started = 0; /* a frame error: the core never answers */
        } else {
            sim_finish();
        }
        break;
    default: sim_error("write to an unknown register"); break;
    }
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
