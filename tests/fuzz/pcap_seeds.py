#!/usr/bin/env python3
# Seed corpus for fuzz-parse: small Ethernet frames from real captures
# (../shared/pcaps/tcpdump-tests), a few per file, deduplicated.
#   tests/fuzz/pcap_seeds.py PCAP_DIR OUT_DIR [MAX_FRAMES]
import hashlib, os, struct, sys

src, out = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 400
per_file, max_len = 3, 512
os.makedirs(out, exist_ok=True)
seen, n, per = set(), 0, []
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), 'rb') as f:
        data = f.read()
    if len(data) < 24:
        continue
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        continue  # pcapng or unknown
    if struct.unpack(end + 'I', data[20:24])[0] != 1:
        continue  # not Ethernet
    off, frames = 24, []
    while off + 16 <= len(data) and len(frames) < per_file:
        incl = struct.unpack(end + 'I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if frame and len(frame) <= max_len:
            frames.append(frame)
    per.append(frames)
# round robin over the files: the first frame of each, then the second ...
for i in range(per_file):
    for frames in per:
        if i >= len(frames) or n >= limit:
            continue
        h = hashlib.sha1(frames[i]).hexdigest()
        if h in seen:
            continue
        seen.add(h)
        with open(os.path.join(out, h[:16]), 'wb') as g:
            g.write(frames[i])
        n += 1
print(f'{n} frames')
