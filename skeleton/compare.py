#!/usr/bin/env python3
"""Compare des allocateurs sur les mêmes traces et les mêmes programmes.

    make compare                    (ou : python3 compare.py [options])

Allocateurs : la glibc (référence), jemalloc, mimalloc et tcmalloc (paquets
Debian, installés par « make deps »), le vôtre (libmalloc_wrapper.so, donc
hp_allocator.c) et, dans le corrigé, l'allocateur avancé (libhp_avance.so).
Chacun est chargé par LD_PRELOAD ; un allocateur absent est sauté.

Charges : chaque trace de traces/ rejouée par hp_driver (vérification, débit,
utilisation), puis quelques vrais programmes (python3, sort, gcc -c) dont on
mesure le temps et la mémoire résidente maximale.

Sorties : resultats/compare.csv, et resultats/compare.png si matplotlib est
installé. Débits et temps sont rapportés à ceux de la glibc mesurés dans la
même exécution (la machine peut être chargée : ce sont les rapports qui
comptent) ; la ligne « moyenne géométrique » de chaque allocateur résume ses
traces justes (débit relatif et utilisation).

Votre allocateur tourne en pages de 4 Kio (HP_PAGES=normales) : avec des
huge pages, la mémoire résidente grandit par 2 Mio et l'utilisation mesurée
dirait la taille des pages plutôt que la qualité de l'algorithme.
"""
import argparse
import csv
import glob
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PROG = "compare.py"
ICI = os.path.dirname(os.path.abspath(__file__))

# L'analyseur de ligne de commande en français de courbe.py, posé à côté de
# ce fichier dans l'archive des étudiants, un dossier plus haut dans le kit.
sys.path += [ICI, os.path.dirname(ICI)]
try:
    from courbe import AnalyseurFrancais, raison_os
except ImportError:  # compare.py copié seul : messages d'origine
    AnalyseurFrancais = argparse.ArgumentParser

    def raison_os(e):
        return e.strerror or str(e)
DELAI = 120  # secondes par exécution : au-delà, l'allocateur est déclaré bloqué
COLONNES = ["allocateur", "charge", "type", "correct", "operations", "debit_ops_par_s",
            "utilisation_pourcent", "temps_s", "rss_max_kio", "relatif_glibc", "remarque"]
MOYENNE = "moyenne géométrique"
SYSTEME = {"jemalloc": "libjemalloc.so.2", "mimalloc": "libmimalloc.so.2",
           "tcmalloc": "libtcmalloc_minimal.so.4"}
PAQUETS = {"jemalloc": "libjemalloc2", "mimalloc": "libmimalloc2.0",
           "tcmalloc": "libtcmalloc-minimal4"}


class ErreurCompare(Exception):
    """Erreur à signaler à l'utilisateur (message en français, code 2)."""


# --- Les allocateurs ------------------------------------------------------

def bibliotheque_systeme(nom_so):
    """Chemin d'une bibliothèque installée (dossiers multiarch de Debian)."""
    for motif in ("/usr/lib/*-linux-gnu/", "/lib/*-linux-gnu/", "/usr/lib/", "/usr/local/lib/"):
        trouves = sorted(glob.glob(motif + nom_so))
        if trouves:
            return trouves[0]
    return None


def allocateurs(dossier, seulement=None):
    """[(nom, chemin à précharger ou None, environnement en plus)], et les
    messages sur les allocateurs sautés."""
    liste, sautes = [("glibc", None, {})], []
    for nom, so in SYSTEME.items():
        chemin = bibliotheque_systeme(so)
        if chemin:
            liste.append((nom, chemin, {}))
        else:
            sautes.append(f"{nom} sauté : {so} introuvable (sudo apt-get install {PAQUETS[nom]})")
    for nom, so, env in [("votre allocateur", "libmalloc_wrapper.so", {"HP_PAGES": "normales"}),
                         ("avancé (corrigé)", "libhp_avance.so", {})]:
        chemin = os.path.join(dossier, so)
        if os.path.exists(chemin):
            liste.append((nom, chemin, env))
        elif so == "libmalloc_wrapper.so":
            sautes.append(f"{nom} sauté : {so} absente (make {so})")
    if seulement:
        liste = [a for a in liste if a[0] in seulement or a[0] == "glibc"]
    return liste, sautes


def noms_connus():
    return ["glibc", *SYSTEME, "votre allocateur", "avancé (corrigé)"]


def environnement(precharge, en_plus):
    env = dict(os.environ, LC_ALL="C", **en_plus)
    env.pop("LD_PRELOAD", None)
    env.pop("HP_STATS", None)
    if precharge:
        env["LD_PRELOAD"] = precharge
    return env


# --- Les traces -----------------------------------------------------------

def rejoue(driver, trace, precharge, en_plus):
    """Une ligne de résultat pour une trace (un processus par trace : la
    mémoire gardée d'une trace ne fausse pas l'utilisation de la suivante)."""
    ligne = {"charge": os.path.splitext(os.path.basename(trace))[0], "type": "trace"}
    p = subprocess.Popen([driver, "--csv", trace], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, errors="replace", env=environnement(precharge, en_plus),
                         start_new_session=True)
    try:
        sortie, erreurs = p.communicate(timeout=DELAI)
    except subprocess.TimeoutExpired:
        tue_le_groupe(p)
        return dict(ligne, correct="non", remarque=f"bloqué plus de {DELAI:g} s")
    r = subprocess.CompletedProcess(p.args, p.returncode, sortie, erreurs)
    valeurs = [l.split(",") for l in r.stdout.splitlines()[1:] if l.count(",") == 4]
    if r.returncode < 0 or not valeurs:
        cause = f"planté (signal {-r.returncode})" if r.returncode < 0 else cause_d_erreur(r)
        return dict(ligne, correct="non", remarque=cause)
    _, correct, ops, debit, util = valeurs[0]
    ligne.update(correct=correct, operations=ops)
    if correct != "oui":
        return dict(ligne, remarque=cause_d_erreur(r))
    ligne.update(debit_ops_par_s=debit)
    if float(util) >= 0:
        ligne["utilisation_pourcent"] = util
    return ligne


def tue_le_groupe(p):
    """Tue p et ses fils (le driver rejoue chaque trace dans un fils ; gcc
    lance cc1) : un allocateur qui boucle ne doit rien laisser tourner."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if p.returncode is None:
        p.wait()


def cause_d_erreur(r):
    """Le dernier message du driver (ce que l'allocateur écrit en partant,
    après lui, ne doit pas le cacher)."""
    lignes = r.stderr.strip().splitlines()
    du_driver = [l for l in lignes if l.startswith("hp_driver :")]
    return (du_driver or lignes or [f"code de sortie {r.returncode}"])[-1]


# --- Les programmes -------------------------------------------------------

PYTHON_DICT = ("d = {str(i): [i] * (i % 7) for i in range(300000)}\n"
               "s = sorted(d, key=lambda k: (len(d[k]), k))\n"
               "print(len(s), s[0], s[-1])\n")

C_SOURCE = "".join(f"struct s{i} {{ int a[{i + 1}]; char *p; }};\n"
                   f"int f{i}(struct s{i} *x) {{ int t = 0; for (int k = 0; k < {i + 1}; k++)"
                   f" t += x->a[k] * {i}; return t + (x->p != 0); }}\n" for i in range(400))


def programmes(tmp):
    """[(nom, commande, entrée standard)] : de vrais programmes qui allouent
    beaucoup ; seuls ceux installés sont gardés."""
    lignes = "".join(f"{(i * 7919) % 100003:06d} ligne {i}\n" for i in range(1000000))
    source = os.path.join(tmp, "gros.c")
    with open(source, "w") as f:
        f.write(C_SOURCE)
    liste = [("python3 (dict)", [sys.executable, "-c", PYTHON_DICT], None),
             ("sort", ["sort"], lignes.encode()),
             ("gcc -c", ["gcc", "-O2", "-c", "-o", os.path.join(tmp, "gros.o"), source], None)]
    return [p for p in liste if shutil.which(p[1][0])]


def execute(commande, entree, env):
    """Lance commande ; (code, durée en s, mémoire résidente max en Kio de
    lui et des processus qu'il a attendus, sortie standard)."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout:
        fin.write(entree or b"")
        fin.seek(0)
        debut = time.perf_counter()
        p = subprocess.Popen(commande, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        minuterie = threading.Timer(DELAI, tue_le_groupe, (p,))
        minuterie.start()
        # wait4 plutôt que wait : la mémoire maximale de cet enfant seul
        _, statut, usage = os.wait4(p.pid, 0)
        duree = time.perf_counter() - debut
        minuterie.cancel()
        p.returncode = os.waitstatus_to_exitcode(statut)
        if duree >= DELAI:
            tue_le_groupe(p)  # les petits-enfants restés dans le groupe
        fout.seek(0)
        return p.returncode, duree, usage.ru_maxrss, fout.read()


def mesure_programmes(progs, liste, repetitions):
    """Lance chaque programme avec chaque allocateur, repetitions fois, en
    alternant les allocateurs à chaque tour : une variation de la charge de
    la machine touche tous les allocateurs, pas un seul. Rend les lignes du
    CSV (meilleur temps, mémoire résidente maximale)."""
    mesures = {}  # (allocateur, programme) -> {temps, rss, sortie, erreur}
    for tour in range(repetitions):
        print(f"  programmes, tour {tour + 1}/{repetitions} ...", flush=True)
        for nom, chemin, env in liste:
            for charge, commande, entree in progs:
                m = mesures.setdefault((nom, charge), {"temps": None, "rss": 0, "erreur": None})
                if m["erreur"]:
                    continue
                code, duree, maxrss, sortie = execute(commande, entree, environnement(chemin, env))
                if duree >= DELAI:
                    m["erreur"] = f"bloqué plus de {DELAI:g} s"
                elif code != 0:
                    m["erreur"] = f"planté (signal {-code})" if code < 0 else f"code de sortie {code}"
                else:
                    m["temps"] = duree if m["temps"] is None else min(m["temps"], duree)
                    m["rss"], m["sortie"] = max(m["rss"], maxrss), sortie
    return [ligne_programme(nom, charge, m, mesures.get(("glibc", charge), {}).get("sortie"))
            for (nom, charge), m in mesures.items()]


def ligne_programme(nom, charge, m, attendu):
    ligne = {"allocateur": nom, "charge": charge, "type": "programme"}
    if m["erreur"]:
        return dict(ligne, correct="non", remarque=m["erreur"])
    if attendu is not None and m["sortie"] != attendu:
        return dict(ligne, correct="non", remarque="sortie différente de celle avec la glibc")
    return dict(ligne, correct="oui", temps_s=f"{m['temps']:.4f}", rss_max_kio=str(m["rss"]))


# --- Rapports à la glibc ----------------------------------------------------

def moyenne_geometrique(valeurs):
    valeurs = [v for v in valeurs if v > 0]
    return math.exp(sum(math.log(v) for v in valeurs) / len(valeurs)) if valeurs else None


def ajoute_rapports(lignes):
    """relatif_glibc : débit / débit de la glibc (traces), temps de la glibc /
    temps (programmes) : au-dessus de 1, plus rapide que la glibc. Puis une
    ligne de moyenne géométrique par allocateur, sur les traces."""
    glibc = {l["charge"]: l for l in lignes if l["allocateur"] == "glibc" and l.get("correct") == "oui"}
    for l in lignes:
        ref = glibc.get(l["charge"])
        if ref is None or l.get("correct") != "oui":
            continue
        if l["type"] == "trace" and float(l["debit_ops_par_s"]) > 0 and float(ref["debit_ops_par_s"]) > 0:
            l["relatif_glibc"] = f"{float(l['debit_ops_par_s']) / float(ref['debit_ops_par_s']):.3f}"
        elif l["type"] == "programme" and float(l["temps_s"]) > 0 and float(ref["temps_s"]) > 0:
            l["relatif_glibc"] = f"{float(ref['temps_s']) / float(l['temps_s']):.3f}"
    moyennes = []
    for nom in dict.fromkeys(l["allocateur"] for l in lignes):
        traces = [l for l in lignes if l["allocateur"] == nom and l["type"] == "trace"]
        justes = [l for l in traces if l.get("correct") == "oui"]
        ligne = {"allocateur": nom, "charge": MOYENNE, "type": "trace",
                 "correct": "oui" if traces and len(justes) == len(traces) else "non"}
        rel = moyenne_geometrique([float(l["relatif_glibc"]) for l in justes if l.get("relatif_glibc")])
        util = moyenne_geometrique([float(l["utilisation_pourcent"]) for l in justes
                                    if l.get("utilisation_pourcent")])
        if rel is not None:
            ligne["relatif_glibc"] = f"{rel:.3f}"
        if util is not None:
            ligne["utilisation_pourcent"] = f"{util:.1f}"
        if len(justes) < len(traces):
            ligne["remarque"] = f"{len(traces) - len(justes)} trace(s) fausse(s), hors moyenne"
        moyennes.append(ligne)
    return lignes + moyennes


def ecrire_csv(chemin, lignes):
    with open(chemin, "w", newline="", encoding="utf-8") as f:
        ecrivain = csv.DictWriter(f, fieldnames=COLONNES, restval="")
        ecrivain.writeheader()
        ecrivain.writerows(lignes)


# --- La figure ------------------------------------------------------------

def barres(axe, lignes, noms, charges, cle, titre, reference=None):
    largeur = 0.8 / max(1, len(noms))
    for k, nom in enumerate(noms):
        valeurs = []
        for charge in charges:
            l = next((l for l in lignes if l["allocateur"] == nom and l["charge"] == charge), {})
            valeurs.append(float(l[cle]) if l.get(cle) else 0.0)
        axe.bar([i + (k - (len(noms) - 1) / 2) * largeur for i in range(len(charges))], valeurs,
                largeur, label=nom)
    if reference is not None:
        axe.axhline(reference, color="black", linewidth=0.8, linestyle="--")
    axe.set_xticks(range(len(charges)))
    axe.set_xticklabels(charges, rotation=20, ha="right", fontsize=8)
    axe.set_title(titre, fontsize=10)
    axe.grid(axis="y", alpha=0.3)


def figure(chemin, lignes):
    """Trois panneaux : débit relatif (traces), utilisation (traces), vitesse
    relative (programmes). Rend un message si matplotlib manque."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "pas de figure : matplotlib introuvable (sudo apt-get install python3-matplotlib)"
    noms = list(dict.fromkeys(l["allocateur"] for l in lignes))
    traces = list(dict.fromkeys(l["charge"] for l in lignes if l["type"] == "trace"))
    progs = list(dict.fromkeys(l["charge"] for l in lignes if l["type"] == "programme"))
    fig, axes = plt.subplots(3, 1, figsize=(10, 12))
    barres(axes[0], lignes, noms, traces, "relatif_glibc",
           "Débit sur les traces, rapporté à la glibc (plus haut = plus rapide ; échelle log)", 1.0)
    axes[0].set_yscale("log")
    barres(axes[1], lignes, noms, traces, "utilisation_pourcent",
           "Utilisation (%) : pic des octets demandés / pic de mémoire prise au système")
    axes[1].set_ylim(0, 105)
    if progs:
        barres(axes[2], lignes, noms, progs, "relatif_glibc",
               "Vrais programmes : vitesse rapportée à la glibc (temps glibc / temps)", 1.0)
    else:
        axes[2].set_visible(False)
    poignees, etiquettes = axes[0].get_legend_handles_labels()
    fig.legend(poignees, etiquettes, loc="lower center", ncol=len(noms), fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(chemin, dpi=110)
    plt.close(fig)
    return None


# --- Programme principal --------------------------------------------------

def tableau(lignes):
    """Résumé lisible : une ligne par allocateur."""
    sortie = [f"{'allocateur':18} {'débit/glibc':>12} {'utilisation':>12}  programmes (vitesse/glibc)"]
    for l in (l for l in lignes if l["charge"] == MOYENNE):
        progs = [p for p in lignes if p["allocateur"] == l["allocateur"] and p["type"] == "programme"]
        texte = ", ".join(f"{p['charge']} {p.get('relatif_glibc') or 'FAUX'}" for p in progs)
        rel = l.get("relatif_glibc") or "-"
        util = l["utilisation_pourcent"] + " %" if l.get("utilisation_pourcent") else "-"
        sortie.append(f"{l['allocateur']:18} {rel:>12} {util:>12}  {texte}"
                      + (f"  ({l['remarque']})" if l.get("remarque") else ""))
    return "\n".join(sortie)


def arguments(argv):
    p = AnalyseurFrancais(prog=PROG, description="Compare les allocateurs (traces et programmes).")
    p.add_argument("--sortie", default=os.path.join(ICI, "resultats"), help="dossier des résultats")
    p.add_argument("--driver", default=os.path.join(ICI, "hp_driver"))
    p.add_argument("--traces", default=os.path.join(ICI, "traces"), help="dossier des traces .rep")
    p.add_argument("--bibliotheques", default=ICI, help="dossier de libmalloc_wrapper.so")
    p.add_argument("--seulement", nargs="+", metavar="NOM", help="ces allocateurs (et la glibc)")
    p.add_argument("--sans-programmes", action="store_true", help="les traces seulement")
    p.add_argument("--repetitions", type=int, default=5, help="passages par programme (meilleur temps)")
    p.add_argument("--delai", type=float, default=DELAI,
                   help=f"secondes par exécution avant de déclarer l'allocateur bloqué (défaut : {DELAI})")
    return p.parse_args(argv)


def verifie_entrees(args):
    if not os.access(args.driver, os.X_OK):
        raise ErreurCompare(f"{PROG} : driver introuvable : {args.driver} (lancez « make hp_driver »)")
    traces = sorted(glob.glob(os.path.join(args.traces, "*.rep")))
    if not traces:
        raise ErreurCompare(f"{PROG} : aucune trace .rep dans {args.traces}")
    if args.repetitions < 1:
        raise ErreurCompare(f"{PROG} : --repetitions doit valoir au moins 1")
    inconnus = [n for n in args.seulement or [] if n not in noms_connus()]
    if inconnus:
        raise ErreurCompare(f"{PROG} : allocateur inconnu : {', '.join(inconnus)} (connus : "
                            + ", ".join(f"« {n} »" for n in noms_connus()) + ")")
    return traces


def mesure_tout(args, traces, liste):
    lignes = []
    # trace par trace, tous les allocateurs à la suite : la glibc de référence
    # est mesurée juste avant les autres, dans le même état de la machine
    for trace in traces:
        print(f"  {os.path.basename(trace)} ...", flush=True)
        for nom, chemin, env in liste:
            lignes.append(dict(rejoue(args.driver, trace, chemin, env), allocateur=nom))
    lignes.sort(key=lambda l: [a[0] for a in liste].index(l["allocateur"]))
    if not args.sans_programmes:
        with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
            lignes += mesure_programmes(programmes(tmp), liste, args.repetitions)
    return lignes


def main(argv=None):
    global DELAI
    args = arguments(sys.argv[1:] if argv is None else argv)
    DELAI = args.delai
    try:
        traces = verifie_entrees(args)
        os.makedirs(args.sortie, exist_ok=True)
    except ErreurCompare as e:
        print(e, file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG} : impossible de créer {args.sortie} : {raison_os(e)}", file=sys.stderr)
        return 2
    liste, sautes = allocateurs(args.bibliotheques, args.seulement)
    for message in sautes:
        print(f"{PROG} : {message}")
    print(f"{PROG} : {len(traces)} traces, {len(liste)} allocateurs")
    lignes = ajoute_rapports(mesure_tout(args, traces, liste))
    csv_sortie = os.path.join(args.sortie, "compare.csv")
    ecrire_csv(csv_sortie, lignes)
    print(tableau(lignes))
    probleme = figure(os.path.join(args.sortie, "compare.png"), lignes)
    print(f"{PROG} : {probleme}" if probleme else
          f"Résultats : {csv_sortie} ; figure : {os.path.join(args.sortie, 'compare.png')}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"\n{PROG} : interrompu.", file=sys.stderr)
        sys.exit(130)
