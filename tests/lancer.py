#!/usr/bin/env python3
"""Lance les tests du kit (tests/test_*.py, grader/tests/test_*.py) en
parallèle et termine par la ligne « N passed, N failed ».

    python3 tests/lancer.py [-j N] [motif]

Les tests lancent surtout des compilations et des processus : des fils
d'exécution suffisent à occuper les cœurs. Chaque test travaille dans son
propre dossier temporaire.
"""
import argparse
import concurrent.futures
import os
import sys
import time
import unittest

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOSSIERS = ["tests", os.path.join("grader", "tests")]


def tous_les_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from tous_les_tests(t)
        else:
            yield t


def decouvrir(motif):
    chargeur = unittest.TestLoader()
    tests = []
    for dossier in DOSSIERS:
        chemin = os.path.join(RACINE, dossier)
        if os.path.isdir(chemin):
            sys.path.insert(0, chemin)
            tests += list(tous_les_tests(chargeur.discover(chemin, pattern="test_*.py",
                                                           top_level_dir=chemin)))
    if motif:
        tests = [t for t in tests if motif in t.id()]
    return tests


def executer(test):
    """Lance un test seul ; rend (test, résultat, durée)."""
    resultat = unittest.TestResult()
    debut = time.monotonic()
    test.run(resultat)
    return test, resultat, time.monotonic() - debut


def main():
    parser = argparse.ArgumentParser(description="Tests du kit.")
    parser.add_argument("-j", type=int, default=os.cpu_count() or 2)
    parser.add_argument("motif", nargs="?", help="ne lance que les tests dont le nom contient ce texte")
    args = parser.parse_args()
    tests = decouvrir(args.motif)
    # Les chargements ratés (erreur de syntaxe d'un module) sont des échecs.
    reussis = echoues = ignores = 0
    rapports = []
    debut = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        for test, res, duree in pool.map(executer, tests):
            probleme = res.failures + res.errors + [(t, "succès inattendu") for t in res.unexpectedSuccesses]
            if probleme:
                echoues += 1
                etat = "ÉCHEC"
                rapports += [f"=== {t.id()}\n{texte}" for t, texte in probleme]
            elif res.skipped:
                ignores += 1
                etat = f"ignoré ({res.skipped[0][1]})"
            else:
                reussis += 1
                etat = "ok"
            print(f"{etat:<6} {test.id()} ({duree:.1f} s)", flush=True)
    for r in rapports:
        print("\n" + r)
    print(f"\nDurée : {time.monotonic() - debut:.0f} s")
    fin = f"{reussis} passed, {echoues} failed"
    print(fin + (f", {ignores} skipped" if ignores else ""))
    return 1 if echoues or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
