"""Des hp_allocator.c fautifs (les erreurs typiques des étudiants) perdent des
points sur la bonne question, et des variantes correctes ont 20/20.

Chaque fichier de tests/fautifs/ décrit une variante de la solution :

    # description
    perd: Q13 Q18        questions qui doivent perdre des points
    garde: Q16 Q20       questions qui doivent garder tous leurs points
    <<<                  remplace ce texte exact de la solution...
    ...
    ===                  ...par celui-ci
    ...
    >>>
    <<< Q16              remplace tout le code de la région DEBUT SOLUTION (Q16)
    ...
    >>>
"""
import glob
import os
import re
import unittest

from outils import QUESTIONS, SOLUTION, noter_variante

DOSSIER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fautifs")


def lire_variante(chemin):
    """Rend (perd, garde, liste de remplacements (ancien ou (région,), nouveau))."""
    with open(chemin, encoding="utf-8") as f:
        lignes = f.read().splitlines(keepends=True)
    attentes, remplacements, i = {}, [], 0
    while i < len(lignes):
        ligne = lignes[i]
        i += 1
        m = re.match(r"^(perd|garde):(.*)$", ligne)
        if m:
            attentes[m.group(1)] = m.group(2).split()
        elif ligne.startswith("<<<"):
            region = ligne[3:].strip()
            bloc = []
            while not lignes[i].startswith((">>>", "===")):
                bloc.append(lignes[i])
                i += 1
            if lignes[i].startswith("==="):
                ancien, bloc, i = "".join(bloc), [], i + 1
                while not lignes[i].startswith(">>>"):
                    bloc.append(lignes[i])
                    i += 1
            else:
                ancien = (region,)
            remplacements.append((ancien, "".join(bloc)))
            i += 1
    return attentes.get("perd", []), attentes.get("garde", []), remplacements


def remplacer_region(texte, region, nouveau):
    """Remplace le code de solution de la région (région) par nouveau."""
    debut = texte.index(f"/* DEBUT SOLUTION ({region})")
    apres_consigne = texte.index("*/", debut) + 3
    fin = texte.index("/* SQUELETTE", apres_consigne)
    fin = texte.rindex("\n", 0, fin) + 1
    return texte[:apres_consigne] + nouveau + texte[fin:]


def appliquer(remplacements):
    with open(os.path.join(SOLUTION, "hp_allocator.c"), encoding="utf-8") as f:
        texte = f.read()
    for ancien, nouveau in remplacements:
        if isinstance(ancien, tuple):
            texte = remplacer_region(texte, ancien[0], nouveau)
        else:
            assert texte.count(ancien) == 1, f"texte à remplacer introuvable ou ambigu :\n{ancien}"
            texte = texte.replace(ancien, nouveau)
    return texte


class Fautifs(unittest.TestCase):
    pass


def _fabriquer_test(chemin):
    def test(self):
        perd, garde, remplacements = lire_variante(chemin)
        self.assertEqual(sorted(perd + garde), QUESTIONS, "chaque question : perd ou garde")
        questions, _ = noter_variante(appliquer(remplacements), {"CK_DEFAULT_TIMEOUT": "1"})
        obtenu = {q: f"{questions[q]['points']:g}/{questions[q]['max']:g}" for q in QUESTIONS}
        for q in perd:
            self.assertLess(questions[q]["points"], questions[q]["max"], f"{q} devait perdre des points : {obtenu}")
        for q in garde:
            self.assertEqual(questions[q]["points"], questions[q]["max"],
                             f"{q} devait garder ses points : {obtenu} ; "
                             f"{[t for t in questions[q]['tests'] if t[1] < t[2]]}")
    return test


for _chemin in sorted(glob.glob(os.path.join(DOSSIER, "*.txt"))):
    _nom = os.path.splitext(os.path.basename(_chemin))[0]
    setattr(Fautifs, f"test_{_nom}", _fabriquer_test(_chemin))
