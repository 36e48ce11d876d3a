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
    return regrouper(tests)


def regrouper(tests):
    """Les tests d'une classe qui a un setUpClass (un corpus préparé une fois)
    partent ensemble, dans une TestSuite qui appelle setUpClass/tearDownClass ;
    les autres partent un par un."""
    unites, classes = [], {}
    for t in tests:
        classe = type(t)
        if classe.setUpClass.__func__ is unittest.TestCase.setUpClass.__func__:
            unites.append(t)
        else:
            if classe not in classes:
                classes[classe] = unittest.TestSuite()
                unites.append(classes[classe])
            classes[classe].addTest(t)
    return unites


def executer(test):
    """Lance un test (ou une suite) ; rend (nom, résultat, nombre de tests, durée)."""
    resultat = unittest.TestResult()
    debut = time.monotonic()
    if isinstance(test, unittest.TestSuite):
        noms = [t.id() for t in test]  # avant run, qui vide la suite
        nom, nombre = noms[0].rsplit(".", 1)[0] + f" ({len(noms)} tests)", len(noms)
    else:
        nom, nombre = test.id(), 1
    test.run(resultat)
    return nom, resultat, nombre, time.monotonic() - debut


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
        for nom, res, nombre, duree in pool.map(executer, tests):
            probleme = res.failures + res.errors + [(t, "succès inattendu") for t in res.unexpectedSuccesses]
            rates = len({id(t) for t, _ in probleme})
            echoues += rates
            ignores += len(res.skipped)
            reussis += nombre - rates - len(res.skipped)
            rapports += [f"=== {getattr(t, 'id', lambda: str(t))()}\n{texte}" for t, texte in probleme]
            etat = "ÉCHEC" if probleme else f"ignoré ({res.skipped[0][1]})" if res.skipped else "ok"
            print(f"{etat:<6} {nom} ({duree:.1f} s)", flush=True)
    for r in rapports:
        print("\n" + r)
    print(f"\nDurée : {time.monotonic() - debut:.0f} s")
    fin = f"{reussis} passed, {echoues} failed"
    print(fin + (f", {ignores} skipped" if ignores else ""))
    return 1 if echoues or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
