#!/usr/bin/env python3
"""Génère le squelette étudiant (skeleton/) à partir de la solution (solution/).

Dans les fichiers de solution/, une région de réponse s'écrit :

    /* DEBUT SOLUTION (Q18) : consigne pour l'étudiant,
     * éventuellement sur plusieurs lignes. */
    ... code de la solution ...
    /* SQUELETTE
    ... code du squelette (compile, échoue proprement) ...
    FIN SOLUTION */

Le squelette garde la consigne (« À FAIRE (Q18) : ... ») suivie du code du
squelette. La partie « SQUELETTE » est facultative (« /* FIN SOLUTION */ »
ferme alors la région). Les fichiers sans région sont copiés tels quels ; les
produits de compilation (motifs de solution/.gitignore) sont ignorés, ainsi
que les fichiers dont la première ligne dit « SOLUTION SEULEMENT » (le
corrigé de la partie 5, qui n'a pas de squelette).

    python3 grader/squelette.py            régénère skeleton/
    python3 grader/squelette.py --verifier échoue si skeleton/ n'est pas à jour
"""
import filecmp
import fnmatch
import os
import re
import shutil
import sys
import tempfile

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBUT = re.compile(r"^(\s*)/\* DEBUT SOLUTION (\([^)]*\))(.*)$")
SQUELETTE = re.compile(r"^\s*/\* SQUELETTE\s*$")
FIN_AVEC_SQUELETTE = re.compile(r"^\s*FIN SOLUTION \*/\s*$")
FIN_SEULE = re.compile(r"^\s*/\* FIN SOLUTION \*/\s*$")
SEULEMENT = "SOLUTION SEULEMENT"
MOT_CLE = re.compile(r"DEBUT SOLUTION|FIN SOLUTION|/\* SQUELETTE")


class ErreurMarqueurs(Exception):
    """Régions mal formées : le message nomme le fichier et la ligne."""


def _lire_consigne(lignes, i, nom):
    """Lit le commentaire d'ouverture à partir de la ligne i ; rend
    (lignes de la consigne, indice de la ligne suivante)."""
    debut = i
    while "*/" not in lignes[i]:
        i += 1
        if i == len(lignes):
            raise ErreurMarqueurs(f"{nom}:{debut + 1} : commentaire DEBUT SOLUTION jamais fermé")
    consigne = lignes[debut:i + 1]
    consigne[0] = consigne[0].replace("DEBUT SOLUTION", "À FAIRE", 1)
    return consigne, i + 1


def transformer(texte, nom="<texte>"):
    """Remplace chaque région de réponse de texte par sa consigne et son
    code de squelette ; lève ErreurMarqueurs si les marqueurs sont faux."""
    lignes = texte.splitlines(keepends=True)
    sortie = []
    i = 0
    while i < len(lignes):
        ligne = lignes[i]
        if not DEBUT.match(ligne):
            if MOT_CLE.search(ligne):
                raise ErreurMarqueurs(f"{nom}:{i + 1} : marqueur hors d'une région DEBUT SOLUTION")
            sortie.append(ligne)
            i += 1
            continue
        ouverture = i
        consigne, i = _lire_consigne(lignes, i, nom)
        sortie.extend(consigne)
        dans_squelette = False
        while True:
            if i == len(lignes):
                raise ErreurMarqueurs(f"{nom}:{ouverture + 1} : région sans « FIN SOLUTION »")
            ligne = lignes[i]
            i += 1
            if FIN_SEULE.match(ligne) and not dans_squelette:
                break
            if FIN_AVEC_SQUELETTE.match(ligne) and dans_squelette:
                break
            if SQUELETTE.match(ligne) and not dans_squelette:
                dans_squelette = True
                continue
            if MOT_CLE.search(ligne):
                raise ErreurMarqueurs(f"{nom}:{i} : marqueur inattendu dans la région ouverte ligne {ouverture + 1}")
            if dans_squelette:
                sortie.append(ligne)
    return "".join(sortie)


def motifs_ignores(solution):
    """Motifs de solution/.gitignore : les produits de compilation."""
    chemin = os.path.join(solution, ".gitignore")
    if not os.path.exists(chemin):
        return []
    with open(chemin, encoding="utf-8") as f:
        return [l.strip().strip("/") for l in f if l.strip() and not l.startswith("#")]


def _ignore(relatif, motifs):
    parties = relatif.split(os.sep)
    return any(fnmatch.fnmatch(p, m) for p in parties for m in motifs) or \
        any(fnmatch.fnmatch(relatif, m) for m in motifs)


def fichiers_sources(solution):
    """Chemins relatifs des fichiers de solution/, produits de compilation exclus."""
    motifs = motifs_ignores(solution)
    trouves = []
    for dossier, sous_dossiers, fichiers in os.walk(solution):
        rel_dossier = os.path.relpath(dossier, solution)
        sous_dossiers[:] = sorted(d for d in sous_dossiers
                                  if not _ignore(os.path.normpath(os.path.join(rel_dossier, d)), motifs))
        for nom in sorted(fichiers):
            relatif = os.path.normpath(os.path.join(rel_dossier, nom))
            if not _ignore(relatif, motifs):
                trouves.append(relatif)
    return trouves


def solution_seulement(texte):
    """Vrai pour un fichier du corrigé seul (première ligne marquée)."""
    return SEULEMENT in texte.split("\n", 1)[0]


def generer(solution, destination):
    """Écrit dans destination (vide ou absente) le squelette de solution."""
    for relatif in fichiers_sources(solution):
        source = os.path.join(solution, relatif)
        cible = os.path.join(destination, relatif)
        try:
            with open(source, encoding="utf-8") as f:
                texte = f.read()
        except UnicodeDecodeError:  # fichier binaire : copié tel quel
            os.makedirs(os.path.dirname(cible), exist_ok=True)
            shutil.copy2(source, cible)
            continue
        if solution_seulement(texte):
            continue
        os.makedirs(os.path.dirname(cible), exist_ok=True)
        with open(cible, "w", encoding="utf-8", newline="") as f:
            f.write(transformer(texte, os.path.join(os.path.basename(solution), relatif)))
        shutil.copymode(source, cible)


def differences(attendu, obtenu):
    """Fichiers qui diffèrent entre deux arbres (produits de compilation exclus)."""
    a = set(fichiers_sources(attendu))
    b = set(fichiers_sources(obtenu)) if os.path.isdir(obtenu) else set()
    diff = [f"manquant : {f}" for f in sorted(a - b)]
    diff += [f"en trop : {f}" for f in sorted(b - a)]
    for f in sorted(a & b):
        pa, pb = os.path.join(attendu, f), os.path.join(obtenu, f)
        if not filecmp.cmp(pa, pb, shallow=False):
            diff.append(f"différent : {f}")
        elif os.access(pa, os.X_OK) != os.access(pb, os.X_OK):
            diff.append(f"droits différents : {f}")
    return diff


def main(argv=None):
    sys.path.append(RACINE)
    from courbe import AnalyseurFrancais  # l'analyseur en français du kit
    parser = AnalyseurFrancais(prog="squelette.py", description="Génère skeleton/ depuis solution/.")
    parser.add_argument("--solution", default=os.path.join(RACINE, "solution"))
    parser.add_argument("--squelette", default=os.path.join(RACINE, "skeleton"))
    parser.add_argument("--verifier", action="store_true",
                        help="ne rien écrire ; code 1 si le squelette n'est pas à jour")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.solution):
        print(f"squelette : dossier solution introuvable : {args.solution}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        neuf = os.path.join(tmp, "skeleton")
        try:
            generer(args.solution, neuf)
        except ErreurMarqueurs as e:
            print(f"squelette : {e}", file=sys.stderr)
            return 2
        diff = differences(neuf, args.squelette)
        if args.verifier:
            if diff:
                print("squelette : skeleton/ n'est pas à jour (lancez « make skeleton ») :", file=sys.stderr)
                print("\n".join("  " + d for d in diff), file=sys.stderr)
                return 1
            print("squelette : skeleton/ est à jour.")
            return 0
        if os.path.isdir(args.squelette):
            shutil.rmtree(args.squelette)
        shutil.copytree(neuf, args.squelette)
        print(f"squelette : {args.squelette} régénéré ({len(diff)} fichier(s) modifié(s)).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
