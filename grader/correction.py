"""La commande « grader grade » : noter toutes les soumissions, en parallèle."""
import concurrent.futures
import dataclasses
import hashlib
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time

import bac_a_sable
import config
import notation
import rapports
import soumissions


class Journal:
    """journal.log dans le dossier de sortie, et la progression sur stderr."""

    def __init__(self, sortie):
        self.fichier = open(os.path.join(sortie, "journal.log"), "a", encoding="utf-8")
        self.verrou = threading.Lock()

    def ecrire(self, texte, ecran=False):
        with self.verrou:
            self.fichier.write(time.strftime("%Y-%m-%d %H:%M:%S ") + texte + "\n")
            self.fichier.flush()
            if ecran:
                print(texte, file=sys.stderr, flush=True)


def _cle(source, modele):
    return hashlib.sha256(source + modele.version.encode()).hexdigest()


def _depuis_cache(chemin, cle):
    if not cle:
        return None
    try:
        with open(chemin, encoding="utf-8") as f:
            donnees = json.load(f)
    except (OSError, ValueError):
        return None
    if donnees.get("cle") != cle:
        return None
    return notation.Resultat(**donnees["resultat"])


def _vers_cache(chemin, cle, res):
    with open(chemin, "w", encoding="utf-8") as f:
        json.dump({"cle": cle, "resultat": dataclasses.asdict(res)}, f, ensure_ascii=False)


def _noter_une(s, modele, bac, parent, taches, cache, forcer):
    """Rend (résultat, repris du cache ?)."""
    chemin = os.path.join(cache, soumissions.nom_de_fichier(s.identifiant) + ".json")
    if s.probleme:
        res = notation.sans_source(s, notation.ARCHIVE, s.probleme)
        _vers_cache(chemin, "", res)  # gardé pour notes.csv, jamais repris tel quel
        return res, False
    source, remarques = soumissions.source_etudiant(s)
    if source is None:
        res = notation.sans_source(s, notation.MANQUANT,
                                   f"aucun {config.FICHIER_ETUDIANT} dans la soumission")
        res.remarques = remarques
        _vers_cache(chemin, "", res)
        return res, False
    cle = _cle(source, modele)
    res = None if forcer else _depuis_cache(chemin, cle)
    if res is not None:
        return res, True
    tache = taches.get()
    try:
        res = notation.noter(s, source, modele, bac, parent, tache)
    except Exception as e:  # une panne du correcteur ne coûte rien à l'étudiant
        res = notation.panne_du_correcteur(notation.Resultat(s.identifiant, s.nom, ""), repr(e))
    finally:
        taches.put(tache)
    res.remarques = remarques
    if res.verdict != notation.INFRASTRUCTURE:
        _vers_cache(chemin, cle, res)
    return res, False


def corriger(entrees, sortie, nb_taches=2, forcer=False, seulement=None, sans_bwrap=False,
             cachees=config.CACHEES, performance=False):
    try:
        liste = soumissions.decouvrir(entrees)
    except soumissions.ErreurEntree as e:
        print(f"grader : {e}", file=sys.stderr)
        return 2
    if seulement:
        liste = [s for s in liste if seulement.lower() in (s.nom + " " + s.identifiant).lower()]
    if not liste:
        print("grader : aucune soumission trouvée", file=sys.stderr)
        return 2
    os.makedirs(os.path.join(sortie, ".cache"), exist_ok=True)
    journal = Journal(sortie)
    avec_bwrap = not sans_bwrap and bac_a_sable.bwrap_utilisable()
    if not avec_bwrap:
        journal.ecrire("attention : bubblewrap absent ou inutilisable, correction avec les seules "
                       "limites de ressources (ni réseau ni fichiers isolés) ; "
                       "sudo apt-get install bubblewrap", ecran=True)
    with tempfile.TemporaryDirectory(prefix="grader-") as parent:
        os.chmod(parent, 0o711)  # l'uid du bac à sable doit pouvoir y entrer
        try:
            modele = notation.Modele(parent, cachees, performance)
        except (RuntimeError, OSError, notation.note.ErreurNote) as e:
            print(f"grader : préparation du projet de référence impossible : {e}", file=sys.stderr)
            return 1
        resultats = _tout_noter(liste, modele, bac_a_sable.BacASable(avec_bwrap), parent,
                                nb_taches, os.path.join(sortie, ".cache"), forcer, journal)
    for r in resultats:
        rapports.ecrire_soumission(r, sortie)
    _ecrire_tout(sortie, liste, resultats)
    pannes = [r for r in resultats if r.verdict == notation.INFRASTRUCTURE]
    journal.ecrire(f"terminé : {len(resultats)} soumissions, résultats dans {sortie}", ecran=True)
    if pannes:
        print(f"grader : {len(pannes)} soumission(s) non notée(s) à cause du correcteur ; "
              "relancez la même commande pour les reprendre", file=sys.stderr)
        return 1
    return 0


def _ecrire_tout(sortie, liste, resultats):
    """notes.csv et le résumé couvrent toutes les soumissions déjà notées dans
    ce dossier (relancer pour un seul étudiant ne fait pas disparaître les autres)."""
    tous = {r.identifiant: r for r in resultats}
    cache = os.path.join(sortie, ".cache")
    for nom in sorted(os.listdir(cache)):
        try:
            with open(os.path.join(cache, nom), encoding="utf-8") as f:
                r = notation.Resultat(**json.load(f)["resultat"])
        except (OSError, ValueError, TypeError):
            continue
        tous.setdefault(r.identifiant, r)
    complets = sorted(tous.values(), key=lambda r: (r.nom.lower(), r.identifiant))
    rapports.ecrire_notes_csv(complets, sortie)
    rapports.ecrire_resume(complets, sortie)


def _tout_noter(liste, modele, bac, parent, nb_taches, cache, forcer, journal):
    taches = queue.Queue()
    for t in range(nb_taches):
        taches.put(t)
    debut, faits, resultats = time.monotonic(), 0, {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=nb_taches) as pool:
        futurs = {pool.submit(_noter_une, s, modele, bac, parent, taches, cache, forcer): s for s in liste}
        for futur in concurrent.futures.as_completed(futurs):
            s = futurs[futur]
            res, repris = futur.result()
            resultats[s.identifiant] = res
            faits += 1
            ecoule = time.monotonic() - debut
            reste = ecoule / faits * (len(liste) - faits)
            journal.ecrire(f"[{faits}/{len(liste)}] {s.nom} : {res.verdict}, "
                           f"{rapports.nombre(res.note) or '—'}/20{' (déjà noté)' if repris else ''}"
                           f" ; reste ~{reste:.0f} s", ecran=True)
    return [resultats[s.identifiant] for s in liste]
