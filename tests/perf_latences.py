#!/usr/bin/env python3
"""Mesure de référence des latences (script de performance, pas un test).

    python3 tests/perf_latences.py [--fois 3]

Compile la solution, mesure la fréquence réelle du cœur (chaîne d'additions
dépendantes : un cycle chacune), puis lance bench_malloc et bench_huge en
mode chase et tlb plusieurs fois ; affiche la médiane des latences à des
tailles typiques de L1, L2, L3 et RAM, en ns et en cycles, et le rapport
huge pages / pages de 4 Kio.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTION = os.path.join(RACINE, "solution")

HORLOGE_C = r"""
#include <stdio.h>
#include <time.h>
int main(void) {
	unsigned long x = 0; struct timespec a, b; long n = 400000000;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i += 8)
		__asm__ volatile("add $1,%0\n add $1,%0\n add $1,%0\n add $1,%0\n"
				 "add $1,%0\n add $1,%0\n add $1,%0\n add $1,%0" : "+r"(x));
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%f\n", n / ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)));
	return x == 0;
}
"""


def frequence_ghz():
    with tempfile.TemporaryDirectory() as tmp:
        source, binaire = os.path.join(tmp, "h.c"), os.path.join(tmp, "h")
        with open(source, "w") as f:
            f.write(HORLOGE_C)
        subprocess.run(["gcc", "-O1", "-o", binaire, source], check=True)
        return statistics.median(float(subprocess.run([binaire], capture_output=True, text=True)
                                         .stdout) for _ in range(5))


def mesurer(programme, mode, maxi):
    r = subprocess.run([os.path.join(SOLUTION, programme), "--mode", mode, "--max", maxi,
                        "--repetitions", "5"], capture_output=True, text=True, check=True)
    meta = dict(l[2:].split(": ", 1) for l in r.stdout.splitlines() if l.startswith("# ") and ": " in l)
    points = [tuple(map(float, l.split(",")[:2])) for l in r.stdout.splitlines()
              if l and l[0].isdigit()]
    return meta, points


def pres_de(points, taille):
    return min(points, key=lambda p: abs(p[0] - taille))[1]


def main():
    parser = argparse.ArgumentParser(description="Latences de référence du bench.")
    parser.add_argument("--fois", type=int, default=3)
    args = parser.parse_args()
    subprocess.run(["make", "-s", "-C", SOLUTION, "bench_malloc", "bench_huge"], check=True)
    ghz = frequence_ghz()
    print(f"Fréquence mesurée : {ghz:.2f} GHz (1 cycle = {1 / ghz:.3f} ns)")
    niveaux = [("L1 (16 Kio)", 16 << 10), ("L2 (256 Kio)", 256 << 10),
               ("L3 (2 Mio)", 2 << 20), ("8 Mio", 8 << 20), ("32 Mio", 32 << 20),
               ("RAM (128 Mio)", 128 << 20)]
    series = {}
    for programme in ["bench_malloc", "bench_huge"]:
        for mode in ["chase", "tlb"]:
            mesures = [mesurer(programme, mode, "128M") for _ in range(args.fois)]
            series[(programme, mode)] = (mesures[0][0].get("pages", "?"),
                                        {n: statistics.median(pres_de(m[1], t) for m in mesures)
                                         for n, t in niveaux})
    print(f"\n{'niveau':<15}" + "".join(f"{p + ' ' + m:>20}" for p, m in series))
    for n, _ in niveaux:
        print(f"{n:<15}" + "".join(f"{v[1][n]:>10.1f} ns {v[1][n] * ghz:>4.0f} c" for v in series.values()))
    print(f"\nRapport huge pages / pages de 4 Kio ({series[('bench_huge', 'chase')][0]} "
          f"contre {series[('bench_malloc', 'chase')][0]}) :")
    for n, _ in niveaux[3:]:
        print(f"  {n:<15}" + "".join(
            f"  {mode} {series[('bench_huge', mode)][1][n] / series[('bench_malloc', mode)][1][n]:.2f}"
            for mode in ["chase", "tlb"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
