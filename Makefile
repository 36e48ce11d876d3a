# TD « Mémoire » : point d'entrée unique du kit. « make help » liste les cibles.

PYTHON ?= python3

.DEFAULT_GOAL := help
# Les mesures et courbes du bench vont dans resultats/ à la racine.
RESULTATS := $(CURDIR)/resultats

.PHONY: help deps test bench plot compare hugepages hugepages-off skeleton sujet handout grade gradescope clean

help:
	@echo "TD « Mémoire » : cibles disponibles"
	@echo ""
	@echo "Pour tous"
	@echo "  make deps       installe les paquets Debian/Ubuntu nécessaires (root ou sudo)"
	@echo "  make test       installe ce qui manque puis lance tous les tests du kit"
	@echo ""
	@echo "Mesurer la mémoire (solution de référence)"
	@echo "  make bench      mesure caches, RAM et TLB (malloc et huge pages), trace"
	@echo "                  resultats/courbe.png ; RAPIDE=1 pour une mesure rapide"
	@echo "  make plot       retrace les courbes à partir de resultats/*.csv"
	@echo "  make compare    compare les allocateurs (glibc, jemalloc, mimalloc, tcmalloc,"
	@echo "                  celui du TD, l'avancé) : resultats/compare.csv et .png"
	@echo "  make hugepages  (root) réserve des huge pages et monte /mnt/huge"
	@echo "  make hugepages-off  (root) les rend"
	@echo ""
	@echo "Pour les enseignants"
	@echo "  make skeleton   régénère skeleton/ à partir de solution/"
	@echo "  make sujet      rend le sujet en HTML (pandoc) dans dist/sujet/"
	@echo "  make handout    fabrique dist/td-memoire-etudiant.tar.gz pour les étudiants"
	@echo "  make grade SOUMISSIONS=\"rendus.zip …\" SORTIE=notes"
	@echo "                  note des soumissions (dossiers, archives, zip Moodle) ;"
	@echo "                  PERFORMANCE=1 mesure aussi débit et utilisation (hors note)"
	@echo "  make gradescope construit dist/gradescope.zip (autocorrection Gradescope)"
	@echo "  make clean      efface les produits de compilation"
	@echo ""
	@echo "Pour les étudiants : cd skeleton && make test (note sur 20)"

deps:
	@ENSEIGNANT=1 sh docker/install-deps.sh

test: deps
	@$(PYTHON) tests/lancer.py

bench:
	@$(MAKE) -s -C solution bench RESULTATS=$(RESULTATS)

plot:
	@$(MAKE) -s -C solution courbes RESULTATS=$(RESULTATS)

compare:
	@$(MAKE) -s -C solution compare RESULTATS=$(RESULTATS)

hugepages hugepages-off:
	@$(MAKE) -s -C solution $@

skeleton:
	@$(PYTHON) grader/squelette.py

SORTIE ?= notes
grade: deps
	@if [ -z "$(SOUMISSIONS)" ]; then \
	  echo "Indiquez les soumissions : make grade SOUMISSIONS=\"rendus.zip\" SORTIE=notes"; exit 2; fi
	@$(PYTHON) grader/grader grade $(SOUMISSIONS) -o $(SORTIE) $(if $(PERFORMANCE),--performance)

gradescope:
	@$(PYTHON) grader/gradescope.py

sujet:
	@$(PYTHON) grader/distribution.py sujet

handout:
	@$(PYTHON) grader/squelette.py --verifier
	@$(PYTHON) grader/distribution.py handout

clean:
	$(MAKE) -s -C solution clean
	$(MAKE) -s -C skeleton clean
	rm -rf dist resultats
