"""Ce que le correcteur écrit dans le dossier de sortie :

    notes.csv              une ligne par étudiant (importable dans Moodle)
    <id>/results.json      format Gradescope
    <id>/retour.md         le retour à donner à l'étudiant, en français
    resume.md, resume.png  distribution des notes, réussite par question
    journal.log            déroulement (seul fichier horodaté)

Tout est trié et sans date : noter deux fois les mêmes soumissions donne les
mêmes fichiers.
"""
import csv
import json
import os
import statistics
import subprocess
import sys

import config
import notation

QUESTIONS = ["Q13", "Q16", "Q18", "Q20", "Q22"]


def nombre(x):
    return "" if x is None else f"{x:g}".replace(".", ",")


def _par_question(res):
    """{question: (points, max)} publics + cachés."""
    total = {}
    for q in res.questions + res.cachees:
        p, m = total.get(q["question"], (0.0, 0.0))
        total[q["question"]] = (p + q["points"], m + q["max"])
    return total


def _echelle(res):
    """Facteur qui ramène les points bruts (publics + cachés) sur 20."""
    total_max = sum(q["max"] for q in res.questions + res.cachees)
    return config.NOTE_MAX / total_max if total_max else 0


def ecrire_notes_csv(resultats, sortie):
    questions = sorted({q for r in resultats for q in _par_question(r)} or QUESTIONS)
    # colonnes de performance seulement si elles ont été mesurées (--performance)
    perf = any(r.performance for r in resultats)
    with open(os.path.join(sortie, "notes.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["identifiant", "nom", "note_sur_20"] + questions + ["verdict"]
                   + (["debit_relatif_glibc", "utilisation_pourcent"] if perf else []))
        for r in resultats:
            pq, e = _par_question(r), _echelle(r)
            p = r.performance or {}
            w.writerow([r.identifiant, r.nom, "" if r.note is None else f"{r.note:g}"]
                       + [f"{round(pq[q][0] * e, 2):g}" if q in pq else "" for q in questions]
                       + [r.verdict]
                       + ([_ou_vide(p.get("debit_relatif")), _ou_vide(p.get("utilisation"))] if perf else []))


def _ou_vide(x):
    return "" if x is None else f"{x:g}"


def results_json(res):
    """Le format de Gradescope : tests publics visibles, tests cachés invisibles
    avec un résumé visible."""
    tests = []
    for q in res.questions:
        for nom, points, maxi, message in q["tests"]:
            tests.append({"name": f"{q['question']} {nom}", "score": points, "max_score": maxi,
                          "output": message, "visibility": "visible"})
    for q in res.cachees:
        for nom, points, maxi, message in q["tests"]:
            tests.append({"name": f"{q['question']} {nom}", "score": points, "max_score": maxi,
                          "output": message, "visibility": "hidden"})
    if res.cachees:
        reussis, total, points, maxi = _resume_cachees(res)
        tests.append({"name": "Tests cachés (résumé)", "score": points, "max_score": maxi,
                      "output": f"{reussis} tests cachés réussis sur {total}", "visibility": "visible"})
    sortie = {"score": res.note if res.note is not None else 0, "output": _entete(res),
              "tests": tests, "visibility": "visible", "stdout_visibility": "hidden"}
    return sortie


def _resume_cachees(res):
    tests = [t for q in res.cachees for t in q["tests"]]
    return (sum(1 for t in tests if t[1] >= t[2]), len(tests),
            sum(t[1] for t in tests), sum(t[2] for t in tests))


def _entete(res):
    texte = f"Verdict : {res.verdict}. Note : {nombre(res.note) or '—'} / {config.NOTE_MAX}."
    if res.details:
        texte += f"\n{res.details}"
    return texte


def retour(res):
    """Le retour de l'étudiant, en Markdown."""
    lignes = [f"# TD « Mémoire » : retour pour {res.nom}", "",
              f"**Note : {nombre(res.note) or '—'} / {config.NOTE_MAX}** ({res.verdict})", ""]
    if res.verdict == notation.INFRASTRUCTURE:
        lignes += ["La correction automatique n'a pas pu se faire (problème du correcteur, "
                   "pas de votre travail) : votre enseignant va relancer la correction.", ""]
    elif res.details:
        lignes += ["```" if res.verdict == notation.COMPILATION else "", res.details,
                   "```" if res.verdict == notation.COMPILATION else "", ""]
    for remarque in res.remarques:
        lignes.append(f"- Remarque : {remarque}")
    if res.questions:
        lignes += ["", "## Tests publics (ceux de « make test »)", ""]
    for q in res.questions:
        echecs = [t for t in q["tests"] if t[1] < t[2]]
        etat = "✔" if not echecs else "✘"
        lignes.append(f"- **{q['question']}** : {nombre(q['points'])} / {nombre(q['max'])} {etat}")
        lignes += [f"  - `{nom}` : {message}" for nom, _, _, message in echecs]
    if res.cachees:
        reussis, total, points, maxi = _resume_cachees(res)
        lignes += ["", "## Tests cachés", "",
                   f"{reussis} réussis sur {total} ({nombre(points)} / {nombre(maxi)} points). "
                   "Leur détail n'est pas communiqué.",
                   "", f"La note sur {config.NOTE_MAX} compte les points publics et cachés."]
    if res.performance:
        lignes += performances(res.performance)
    return "\n".join(l for l in lignes if l is not None).replace("\n\n\n", "\n\n") + "\n"


def performances(p):
    """La section du retour sur les performances (indicative, hors note)."""
    lignes = ["", "## Performances (à titre indicatif, hors note)", "",
              "`hp_driver` rejoue les traces de `traces/` avec votre allocateur (par "
              "libmalloc_wrapper.so), juste après la glibc, sur la même machine : « make compare » "
              "refait cette mesure chez vous.", "",
              "| trace | juste | débit / glibc | utilisation |", "| --- | --- | --- | --- |"]
    for nom, juste, relatif, util in p["traces"]:
        lignes.append(f"| {nom} | {juste} | {nombre(relatif) or '—'} | "
                      f"{nombre(util) + ' %' if util is not None else '—'} |")
    if p.get("temps_depasse"):
        lignes += ["", "Les mesures ont dépassé le temps imparti : les traces manquantes n'ont "
                   "pas été rejouées jusqu'au bout."]
    lignes += ["", f"Traces justes : {p['justes']} sur {p['total']}. Moyennes géométriques sur les "
               f"traces justes : débit {nombre(p['debit_relatif']) or '—'} fois celui de la glibc, "
               f"utilisation {nombre(p['utilisation']) or '—'} %."]
    return lignes


def ecrire_soumission(res, sortie):
    dossier = os.path.join(sortie, res.identifiant)
    os.makedirs(dossier, exist_ok=True)
    with open(os.path.join(dossier, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results_json(res), f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(dossier, "retour.md"), "w", encoding="utf-8") as f:
        f.write(retour(res))


def ecrire_resume(resultats, sortie):
    notes = [r.note for r in resultats if r.note is not None]
    verdicts = {}
    for r in resultats:
        verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
    lignes = ["# Résumé de la correction", "", f"- Soumissions : {len(resultats)}"]
    if notes:
        lignes += [f"- Moyenne : {nombre(round(statistics.mean(notes), 2))} / {config.NOTE_MAX}",
                   f"- Médiane : {nombre(round(statistics.median(notes), 2))}",
                   f"- Minimum : {nombre(min(notes))}, maximum : {nombre(max(notes))}"]
    lignes += ["", "## Verdicts", ""] + [f"- {v} : {n}" for v, n in sorted(verdicts.items())]
    lignes += ["", "## Distribution des notes", ""]
    for bas in range(0, config.NOTE_MAX, 2):
        n = sum(1 for x in notes if bas <= x < bas + 2 or (bas == config.NOTE_MAX - 2 and x == config.NOTE_MAX))
        lignes.append(f"    [{bas:2d}, {bas + 2:2d}{']' if bas == config.NOTE_MAX - 2 else '['} {'#' * n} {n}")
    taux = taux_de_reussite(resultats)
    lignes += ["", "## Réussite par question (tous les points de la question)", ""]
    lignes += [f"- {q} : {nombre(round(100 * t))} %" for q, t in taux.items()]
    with open(os.path.join(sortie, "resume.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lignes) + "\n")
    tracer_resume(notes, taux, os.path.join(sortie, "resume.png"))


def taux_de_reussite(resultats):
    notes = [r for r in resultats if r.note is not None]
    taux = {}
    for q in QUESTIONS:
        pleins = sum(1 for r in notes if q in _par_question(r)
                     and _par_question(r)[q][0] >= _par_question(r)[q][1] > 0)
        taux[q] = pleins / len(notes) if notes else 0.0
    return taux


SCRIPT_PNG = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
notes, taux, sortie = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
a.hist(notes, bins=range(0, 22, 2), color="tab:blue", edgecolor="white")
a.set_xlabel("note sur 20"); a.set_ylabel("étudiants"); a.set_title("Distribution des notes")
b.bar(list(taux), [100 * v for v in taux.values()], color="tab:green")
b.set_ylim(0, 100); b.set_ylabel("% avec tous les points"); b.set_title("Réussite par question")
fig.tight_layout(); fig.savefig(sortie)
"""


def tracer_resume(notes, taux, chemin):
    """resume.png avec un python3 qui a matplotlib (facultatif)."""
    for python in [sys.executable, "/usr/bin/python3"]:
        r = subprocess.run([python, "-c", SCRIPT_PNG, json.dumps(notes), json.dumps(taux), chemin],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return True
    print("grader : matplotlib introuvable, resume.png non tracé "
          "(sudo apt-get install python3-matplotlib)", file=sys.stderr)
    return False
