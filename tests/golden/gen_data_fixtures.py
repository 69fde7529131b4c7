"""Writes the data-reader fixtures under tests/golden/fixtures/data/.

Run from the repository root:  python3 tests/golden/gen_data_fixtures.py
Needs only numpy. Every pickle is re-loaded with Python's own pickle before it is written,
so the fixtures are proven to be real pickles of CIFAR-shaped dicts.

Pixel content (shared with tests/data/cifar_pickle_test.ts): image i, flat CHW position j
holds (i * 31 + j * 7 + (j // 1024) * 85) % 256 (the channel term keeps R, G, B
apart); CIFAR-10 labels are (i * 3) % 10, CIFAR-100 fine labels
(i * 37) % 100 and coarse labels fine // 5.
"""
import io
import os
import pickle
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "data")
N = 4


def pixels(n):
    i = np.arange(n).reshape(n, 1)
    j = np.arange(3072).reshape(1, 3072)
    return ((i * 31 + j * 7 + (j // 1024) * 85) % 256).astype(np.uint8)


def cifar10_dict(str_keys, labels_as_array=False):
    labels = [(i * 3) % 10 for i in range(N)]
    d = {
        "batch_label": "testing batch 1 of 1",
        "labels": np.array(labels, dtype=np.int64) if labels_as_array else labels,
        "data": pixels(N),
        "filenames": ["img_%d.png" % i for i in range(N)],
    }
    if not str_keys:
        enc = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
        d = {k.encode(): ([enc(x) for x in v] if isinstance(v, list) else enc(v))
             for k, v in d.items()}
    return d


def cifar100_dict():
    fine = [(i * 37) % 100 for i in range(N)]
    return {
        "filenames": ["f_%d.png" % i for i in range(N)],
        "batch_label": "training batch 1 of 1",
        "fine_labels": fine,
        "coarse_labels": [f // 5 for f in fine],
        "data": pixels(N),
    }


class Py2Writer:
    """Emits the opcodes Python 2 cPickle (protocol 2) wrote for the original CIFAR files:
    SHORT_BINSTRING/BINSTRING for str, GLOBAL numpy.core.multiarray._reconstruct, BINPUT."""

    def __init__(self):
        self.b = io.BytesIO()
        self.memo = 0

    def put(self):
        self.memo += 1
        if self.memo < 256:
            self.b.write(b"q" + bytes([self.memo]))
        else:
            self.b.write(b"r" + struct.pack("<I", self.memo))

    def string(self, s):
        s = s if isinstance(s, bytes) else s.encode("latin1")
        if len(s) < 256:
            self.b.write(b"U" + bytes([len(s)]) + s)
        else:
            self.b.write(b"T" + struct.pack("<i", len(s)) + s)
        self.put()

    def integer(self, v):
        if 0 <= v < 256:
            self.b.write(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            self.b.write(b"M" + struct.pack("<H", v))
        else:
            self.b.write(b"J" + struct.pack("<i", v))

    def ndarray_u1(self, a):
        w = self.b.write
        w(b"cnumpy.core.multiarray\n_reconstruct\n")
        self.put()
        w(b"cnumpy\nndarray\n")
        self.put()
        w(b"K\x00\x85")
        w(b"U\x01b")
        w(b"\x87R")
        self.put()
        w(b"(K\x01")
        for d in a.shape:
            self.integer(d)
        w(b"\x86")
        w(b"cnumpy\ndtype\n")
        self.put()
        w(b"U\x02u1K\x00K\x01\x87R")
        self.put()
        w(b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
        w(b"\x89")
        self.string(a.tobytes())
        w(b"tb")

    def value(self, v):
        if isinstance(v, np.ndarray):
            self.ndarray_u1(v)
        elif isinstance(v, (str, bytes)):
            self.string(v)
        elif isinstance(v, int):
            self.integer(v)
        elif isinstance(v, list):
            self.b.write(b"]")
            self.put()
            self.b.write(b"(")
            for x in v:
                self.value(x)
            self.b.write(b"e")
        else:
            raise TypeError(type(v))

    def dump(self, d):
        self.b.write(b"\x80\x02}")
        self.put()
        self.b.write(b"(")
        for k, v in d.items():
            self.string(k)
            self.value(v)
        self.b.write(b"u.")
        return self.b.getvalue()


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def write(name, data, expect, encoding="ASCII"):
    back = pickle.loads(data, encoding=encoding)
    assert same(back, expect), name
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print("wrote", name, len(data), "bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    py2 = cifar10_dict(str_keys=False)
    write("cifar10_py2style.pkl", Py2Writer().dump(py2), py2, encoding="bytes")
    d = cifar10_dict(str_keys=False)
    write("cifar10_p1.pkl", pickle.dumps(d, protocol=1), d)
    write("cifar10_p2.pkl", pickle.dumps(d, protocol=2), d)
    d = cifar10_dict(str_keys=True, labels_as_array=True)
    write("cifar10_p4.pkl", pickle.dumps(d, protocol=4), d)
    d = cifar10_dict(str_keys=True)
    write("cifar10_p5.pkl", pickle.dumps(d, protocol=5), d)
    d = cifar100_dict()
    write("cifar100_p2.pkl", pickle.dumps(d, protocol=2), d)
    meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"], "num_cases_per_batch": N, "num_vis": 3072}
    write("cifar10_meta_p2.pkl", pickle.dumps(meta, protocol=2), meta)
    # A harmless but non-allow-listed global: the safe reader must refuse it.
    import fractions
    bad = {"data": fractions.Fraction(1, 3), "labels": [0]}
    write("unknown_global.pkl", pickle.dumps(bad, protocol=2), bad)


if __name__ == "__main__":
    main()
