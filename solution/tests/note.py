#!/usr/bin/env python3
"""Calcule la note d'après le barème et le journal XML de Check.

    python3 tests/note.py tests/bareme.txt build/resultats_tests.xml [build/resultats_tests.txt]

Affiche une ligne par question (points obtenus / points, ✔ ou ✘, message du
premier test échoué) puis la note sur 20. Importable : le correcteur utilise
lire_bareme, lire_journal et noter.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://check.sourceforge.net/ns}"


class ErreurNote(Exception):
    """Fichier absent ou mal formé : le message nomme le fichier et la ligne."""


def lire_bareme(chemin):
    """Rend la liste ordonnée des (question, test, points) du barème."""
    try:
        with open(chemin, encoding="utf-8") as f:
            lignes = f.readlines()
    except OSError as e:
        raise ErreurNote(f"barème illisible : {chemin} ({e.strerror})") from None
    bareme, vus = [], set()
    for numero, ligne in enumerate(lignes, 1):
        ligne = ligne.split("#", 1)[0].strip()
        if not ligne:
            continue
        champs = ligne.split()
        try:
            if len(champs) != 3:
                raise ValueError
            points = float(champs[2])
        except ValueError:
            raise ErreurNote(f"{chemin}:{numero} : « question test points » attendu, "
                             f"« {ligne} » obtenu") from None
        if champs[1] in vus:
            raise ErreurNote(f"{chemin}:{numero} : test {champs[1]} présent deux fois")
        vus.add(champs[1])
        bareme.append((champs[0], champs[1], points))
    if not bareme:
        raise ErreurNote(f"barème vide : {chemin}")
    return bareme


def message_lisible(resultat, message):
    """Traduit les messages de Check qui ne viennent pas des tests."""
    if resultat == "success":
        return ""
    message = message.removeprefix("(after this point) ")
    if "timeout" in message.lower():
        return "délai dépassé (boucle infinie ? liste libre qui boucle ?)"
    m = re.match(r"Received signal (\d+) \((.*)\)", message)
    if m:
        return f"plantage : signal {m.group(1)} ({m.group(2)})"
    m = re.match(r"Early exit with return value (\d+)", message)
    if m:
        return f"le test s'est arrêté avant la fin (exit({m.group(1)}) appelé ?)"
    return message


# Ligne du journal texte de Check : « fichier:ligne:F:groupe:test:itération: message ».
LIGNE_TEXTE = re.compile(r"^[^:\n]*:\d+:[FE]:[^:\n]*:(\w+):\d+: (.*)$", re.M)


def messages_texte(chemin):
    """Messages des échecs lus dans le journal texte de Check : le journal XML
    perd les caractères accentués, celui-ci les garde."""
    try:
        with open(chemin, encoding="utf-8", errors="replace") as f:
            return dict(LIGNE_TEXTE.findall(f.read()))
    except OSError:
        return {}


def lire_journal(chemin, chemin_texte=None):
    """Rend {nom du test: (réussi, message)} d'après le journal XML de Check
    (et les messages du journal texte s'il est donné)."""
    try:
        racine = ET.parse(chemin).getroot()
    except OSError:
        raise ErreurNote(f"aucun résultat de test ({chemin} absent) : le programme de "
                         "test ne s'est pas exécuté jusqu'au bout") from None
    except ET.ParseError as e:
        raise ErreurNote(f"journal de tests illisible : {chemin} ({e})") from None
    textes = messages_texte(chemin_texte) if chemin_texte else {}
    resultats = {}
    for test in racine.iter(NS + "test"):
        nom = test.findtext(NS + "id", "")
        res = test.get("result", "")
        message = textes.get(nom, test.findtext(NS + "message", ""))
        resultats[nom] = (res == "success", message_lisible(res, message))
    return resultats


def noter(bareme, resultats):
    """Rend la liste ordonnée des questions : dict(question, points,
    max, tests=[(test, points, max, message)])."""
    questions = {}
    for question, test, points_max in bareme:
        q = questions.setdefault(question, {"question": question, "points": 0.0,
                                            "max": 0.0, "tests": []})
        reussi, message = resultats.get(test, (False, "test non exécuté (absent du journal)"))
        obtenus = points_max if reussi else 0.0
        q["points"] += obtenus
        q["max"] += points_max
        q["tests"].append((test, obtenus, points_max, message))
    return list(questions.values())


def nombre(x):
    return f"{x:g}".replace(".", ",")


def afficher(questions, hors_bareme, sortie=sys.stdout):
    total = sum(q["points"] for q in questions)
    total_max = sum(q["max"] for q in questions)
    for q in questions:
        echecs = [t for t in q["tests"] if t[1] < t[2]]
        ligne = f"{q['question']:<4} {nombre(q['points']):>5} / {nombre(q['max']):<3} "
        if not echecs:
            ligne += "✔"
        else:
            test, _, _, message = echecs[0]
            ligne += f"✘  {test} : {message}"
            if len(echecs) > 1:
                ligne += f" (+ {len(echecs) - 1} autre(s) test(s) échoué(s))"
        print(ligne, file=sortie)
    for test in hors_bareme:
        print(f"attention : {test} n'est pas dans le barème, il ne compte pas", file=sortie)
    print(f"Note : {nombre(total)} / {nombre(total_max)}", file=sortie)
    return total, total_max


def main(argv=None):
    parser = argparse.ArgumentParser(description="Note d'après le barème et le journal de Check.")
    parser.add_argument("bareme")
    parser.add_argument("journal", help="journal XML de Check (CK_XML_LOG_FILE_NAME)")
    parser.add_argument("journal_texte", nargs="?",
                        help="journal texte de Check (CK_LOG_FILE_NAME), pour les accents")
    parser.add_argument("--json", action="store_true", help="résultat en JSON sur stdout")
    parser.add_argument("--exiger-tout", action="store_true",
                        help="code de sortie 1 si la note n'est pas maximale")
    args = parser.parse_args(argv)
    try:
        bareme = lire_bareme(args.bareme)
        try:
            resultats = lire_journal(args.journal, args.journal_texte)
        except ErreurNote as e:
            print(f"note : {e}", file=sys.stderr)
            resultats = {}
    except ErreurNote as e:
        print(f"note : {e}", file=sys.stderr)
        return 2
    questions = noter(bareme, resultats)
    connus = {t for _, t, _ in bareme}
    hors_bareme = sorted(t for t in resultats if t not in connus)
    if args.json:
        json.dump(questions, sys.stdout, ensure_ascii=False, indent=1)
        print()
        total = sum(q["points"] for q in questions)
        total_max = sum(q["max"] for q in questions)
    else:
        total, total_max = afficher(questions, hors_bareme)
    return 1 if args.exiger_tout and total < total_max else 0


if __name__ == "__main__":
    sys.exit(main())
