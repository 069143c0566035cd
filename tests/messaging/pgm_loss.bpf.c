/* Loss injection for the pgm tests (test_pgm_loss.cpp): a tc classifier, loaded on a host's
 * ingress with `tc filter add dev eth0 ingress bpf direct-action obj <this.o> sec classifier`,
 * that drops PGM data packets (epgm: PGM in UDP; pgm: IP protocol 113) and passes everything
 * else, so NAKs, NCFs and SPMs still flow. Built by tests/messaging/CMakeLists.txt with
 * `clang -O2 -target bpf`, one object per variant:
 *   DROP_PERCENT  the share (0..100) of original data packets (ODATA) dropped at random;
 *   DROP_REPAIRS  1: every repair (RDATA) is dropped too, so no loss can be repaired;
 *   DROP_FIRST    N > 0: the first N original data packets of each publisher (sequence
 *                 numbers 0 .. N-1: OpenPGM starts at 0) are dropped, and no other.
 * No kernel or libbpf headers: the two helpers are called by their numbers in the kernel's
 * stable helper table. Drops are counted by the clsact qdisc (`tc -s qdisc show`). */

struct __sk_buff;
static unsigned (*bpf_get_prandom_u32)(void) = (void *)7;
static long (*bpf_skb_load_bytes)(const struct __sk_buff *, unsigned, void *, unsigned) = (void *)26;

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
#define PGM_ODATA 0x04
#define PGM_RDATA 0x05
#ifndef DROP_FIRST
#define DROP_FIRST 0
#endif

__attribute__((section("classifier"), used)) int drop_pgm_data(struct __sk_buff *skb) {
  unsigned char ethertype[2];
  if (bpf_skb_load_bytes(skb, 12, ethertype, 2) || ethertype[0] != 0x08 || ethertype[1] != 0x00) return TC_ACT_UNSPEC;
  unsigned char ip[10];
  if (bpf_skb_load_bytes(skb, 14, ip, sizeof ip)) return TC_ACT_UNSPEC;
  const unsigned ip_header = (ip[0] & 0x0fu) * 4u;
  unsigned pgm_header;
  if (ip[9] == 17) /* UDP: epgm */
    pgm_header = 14 + ip_header + 8;
  else if (ip[9] == 113) /* PGM */
    pgm_header = 14 + ip_header;
  else
    return TC_ACT_UNSPEC;
  unsigned char type;
  if (bpf_skb_load_bytes(skb, pgm_header + 4, &type, 1)) return TC_ACT_UNSPEC;
  if (type == PGM_RDATA && DROP_REPAIRS) return TC_ACT_SHOT;
  if (DROP_FIRST > 0 && type == PGM_ODATA) {
    unsigned char sqn[4]; /* the data header's sequence number, after the 16-byte common header */
    if (bpf_skb_load_bytes(skb, pgm_header + 16, sqn, 4)) return TC_ACT_UNSPEC;
    const unsigned n = ((unsigned)sqn[0] << 24) | ((unsigned)sqn[1] << 16) | ((unsigned)sqn[2] << 8) | sqn[3];
    return n < (unsigned)DROP_FIRST ? TC_ACT_SHOT : TC_ACT_UNSPEC;
  }
  if (type == PGM_ODATA && bpf_get_prandom_u32() % 100 < DROP_PERCENT) return TC_ACT_SHOT;
  return TC_ACT_UNSPEC;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
