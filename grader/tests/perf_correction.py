#!/usr/bin/env python3
"""Débit du correcteur (script de mesure, pas un test).

    python3 grader/tests/perf_correction.py [-n 100] [-j 2]

Fabrique n soumissions au format Moodle (correctes, variantes correctes,
fautives de tests/fautifs/, squelettes, erreurs de compilation et quelques
hostiles), les note avec le bac à sable et les tests cachés, et affiche le
temps total et le nombre de soumissions notées par minute.
"""
import argparse
import collections
import csv
import glob
import os
import shutil
import sys
import tempfile
import time

ICI = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(ICI))
sys.path.insert(0, os.path.join(ICI, "..", "..", "tests"))
import correction  # noqa: E402
from corpus import BOUCLE_UN_TEST, INONDATION, injection_malloc, lire, solution, SQUELETTE, ecrire  # noqa: E402
from test_fautifs import DOSSIER, appliquer, lire_variante  # noqa: E402


def melange(n):
    """Une promotion plausible, sur 100 : 60 corrects (solution et variantes
    correctes), 25 fautifs (chaque erreur de tests/fautifs/ à son tour, boucles
    infinies comprises), 10 squelettes à peine commencés, 3 qui ne compilent
    pas, 2 hostiles."""
    variantes = {os.path.basename(c): appliquer(lire_variante(c)[2])
                 for c in sorted(glob.glob(os.path.join(DOSSIER, "*.txt")))}
    correctes = [solution()] + [t for nom, t in variantes.items() if nom.startswith("correct_")]
    fautives = [t for nom, t in variantes.items() if not nom.startswith("correct_")]
    groupes = [(60, correctes), (25, fautives), (10, [lire(SQUELETTE)]),
               (3, ["int main(void) { return }\n"]),
               (2, [injection_malloc(BOUCLE_UN_TEST), injection_malloc(INONDATION)])]
    modeles = [liste[i % len(liste)] for nombre, liste in groupes for i in range(nombre)]
    return [modeles[i * len(modeles) // n] for i in range(n)]


def main():
    parser = argparse.ArgumentParser(description="Débit du correcteur.")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("-j", type=int, default=2)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="perf-correction-")
    try:
        for i, texte in enumerate(melange(args.n)):
            ecrire(os.path.join(tmp, "moodle", f"Étudiant {i:03d}_{20000 + i}_assignsubmission_file_"),
                   "hp_allocator.c", texte)
        debut = time.monotonic()
        code = correction.corriger([os.path.join(tmp, "moodle")], os.path.join(tmp, "sortie"), args.j)
        duree = time.monotonic() - debut
        with open(os.path.join(tmp, "sortie", "notes.csv"), encoding="utf-8") as f:
            verdicts = collections.Counter(l["verdict"] for l in csv.DictReader(f))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{args.n} soumissions, -j {args.j} : {duree:.1f} s, "
          f"{60 * args.n / duree:.1f} soumissions par minute (code {code})")
    print("verdicts : " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
