"""Le texte fixe de la fiche de modèle, en français (les mêmes clés que ``en.py``).

French typography as used in Canada: a non-breaking space before a colon (added by
``_typeset``, so the strings below stay readable), none before ``;``, ``?`` or ``!``.
"""

from __future__ import annotations

from typing import Any


def _typeset(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(" :", "\u00a0:")
    if isinstance(value, list):
        return [_typeset(v) for v in value]
    if isinstance(value, dict):
        return {k: _typeset(v) for k, v in value.items()}
    return value


TEXTS: dict = _typeset(
    {
        "title": "Fiche de modèle",
        "not_measured": "non mesuré",
        "not_recorded": "non consigné",
        "not_applicable": "s.o.",
        "never": "jamais",
        "none": "aucune",
        "feeds_label": "Alimente",
        "colon": " : ",
        "feeds_note": (
            "Chaque section indique ce qu'elle alimente : la Directive sur la prise de "
            "décisions automatisée du Conseil du Trésor (Directive) et son questionnaire "
            "d'évaluation de l'incidence algorithmique (EIA)."
        ),
        "headings": {
            "identity": "Version",
            "system": "Description du système",
            "intended_use": "Utilisation prévue",
            "out_of_scope": "Utilisations exclues",
            "training_data": "Données d'entraînement",
            "performance": "Rendement du modèle et vérification des biais",
            "thresholds": "Seuils par catégorie",
            "disagreement": "Écart avec la version active",
            "limits": "Limites connues",
            "human_involvement": "Intervention humaine",
            "recourse": "Recours et explications",
        },
        "captions": {
            "per_category": (
                "F1 par catégorie (chaque étiquette compte pour les catégories qui lui "
                "correspondent)"
            ),
            "per_language": "Macro-F1 par langue (les langues officielles d'abord)",
            "fine_tune": "Affinage",
            "mapping": "Étiquettes d'entraînement et catégories correspondantes",
        },
        "fields": {
            "field": "Champ",
            "value": "Valeur",
            "source_name": "Source",
            "version": "Version",
            "status": "Statut",
            "kind": "Type",
            "created_at": "Créée le",
            "activated_at": "Mise en production le",
            "model_id": "Modèle",
            "base_model": "Modèle de base",
            "policy_version": "Version de la politique",
            "files": "Fichiers",
            "sha256": "SHA-256 des données d'entraînement",
            "rows": "Lignes",
            "by_label": "Lignes par étiquette",
            "by_lang": "Lignes par langue",
            "by_source": "Lignes par source",
            "label": "Étiquette",
            "categories": "Catégories",
            "category": "Catégorie",
            "measure": "Mesure",
            "language": "Langue",
            "macro_f1": "Macro-F1",
            "accuracy": "Exactitude",
            "folds": "Plis",
            "groups": "Groupes",
            "threshold": "Seuil",
            "source": "Fixé par",
            "kfold": "validation croisée (k plis)",
            "grouped": "groupée par source",
            "holdout": "jeu réservé (stratifié)",
            "window": "Période",
            "assessed": "Publications évaluées par cette version",
            "own_flag_rate": "Proportion signalée",
            "compared": "Publications évaluées par les deux",
            "differ": "Catégorie signalée principale différente",
            "flag_rate_version": "Taux de signalement de cette version",
            "flag_rate_live": "Taux de signalement de la version active",
            "live": "Version active",
            "epochs": "Époques",
            "lr": "Taux d'apprentissage",
            "batch_size": "Taille des lots",
            "max_seq_length": "Longueur maximale des séquences",
            "seed": "Graine aléatoire",
            "device": "Processeur",
            "seconds": "Secondes",
            "rows_trained": "Lignes d'entraînement",
            "rows_held_out": "Lignes réservées",
            "cache_key": "Clé de cache",
            "downloads": "Télécharger",
        },
        "status": {
            "live": "active",
            "shadow": "en mode fantôme",
            "candidate": "candidate",
            "retired": "retirée",
        },
        "kind": {
            "shipped": "politique livrée",
            "trained": "tête entraînée",
            "fine-tuned": "modèle affiné",
        },
        "languages": {"en": "anglais", "fr": "français", "und": "indéterminée"},
        "method": {"grouped": "groupée", "holdout": "sur jeu réservé"},
        "threshold_source": {"trained": "l'entraînement", "policy": "la politique livrée"},
        "days": "{days} derniers jours (depuis le {since})",
        "none_mapped": "aucun signalement",
        "system": (
            "Impartial évalue les publications publiques des comptes inscrits (comptes "
            "officiels, et comptes personnels dont le titulaire a donné son consentement) au "
            "regard des quatre catégories de l'orientation du Secrétariat du Conseil du Trésor "
            "du Canada sur l'utilisation personnelle des médias sociaux par les fonctionnaires : "
            "activité partisane, politiques du gouvernement, propos vulgaires et intérêt "
            "personnel. Une publication dont la cote atteint le seuil d'une catégorie devient un "
            "signalement dans une file d'examen, accompagné d'une explication : les exemples "
            "les plus proches de la politique, les termes relevés et l'apport de chaque facteur "
            "de contexte. Une personne décide de la suite à donner, s'il y a lieu."
        ),
        "kind_description": {
            "shipped": (
                "Cette version est le classificateur livré avec la politique : ses cotes "
                "viennent de la similarité avec les exemples anglais et français de la "
                "politique et d'un lexique bilingue. Rien n'a été entraîné sur les données de "
                "l'organisation."
            ),
            "trained": (
                "Cette version ajoute aux caractéristiques de la politique (plongements de "
                "phrases, similarité avec les exemples, indices lexicaux) une tête de "
                "classification entraînée sur des publications étiquetées."
            ),
            "fine-tuned": (
                "Le modèle de plongements de cette version a été affiné sur des publications "
                "étiquetées à partir d'un modèle de base, puis une tête de classification a "
                "été entraînée sur les caractéristiques du modèle affiné."
            ),
        },
        "intended_use": [
            "Indiquer à un examinateur humain les publications publiques qui pourraient amener "
            "une personne raisonnable à douter que leur auteur puisse travailler de façon non "
            "partisane et impartiale, et pourquoi.",
            "Permettre aux employés de vérifier une ébauche avant de la publier "
            "(l'autovérification ne conserve rien).",
            "Mesurer le classificateur lui-même : comparer des versions en mode fantôme et "
            "estimer ce qu'il manque à partir d'échantillons examinés de publications non "
            "signalées.",
        ],
        "out_of_scope": [
            "Toute décision automatisée au sujet d'une personne : un signalement est une "
            "suggestion, jamais une conclusion; seule la décision d'un examinateur compte.",
            "Classer, noter ou comparer des personnes, ou alimenter l'évaluation du "
            "rendement, la dotation ou les mesures disciplinaires avec des signalements ou des "
            "cotes plutôt qu'avec des décisions examinées.",
            "Lire des comptes non inscrits, ou des comptes personnels sans consentement en "
            "vigueur de leur titulaire; surveiller des collègues en dehors de ce programme.",
            "Les messages privés, ou tout autre contenu que le texte d'une publication "
            "publique (les images ne comptent que par leur description).",
            "Juger si une publication est vraie, ou les opinions d'une personne en tant que "
            "telles : l'orientation porte sur la perception d'impartialité.",
        ],
        "human_involvement": [
            "Chaque signalement entre dans une file d'examen. Un examinateur conclut à "
            "l'absence de préoccupation, donne un conseil ou transmet le dossier à un chef "
            "d'équipe, en citant une disposition de l'orientation et en motivant sa décision; "
            "un chef d'équipe clôt les dossiers transmis. Le classificateur ne clôt jamais un "
            "signalement.",
            "Les examinateurs voient un pseudonyme plutôt qu'un nom et n'examinent jamais "
            "leurs propres publications; le chef d'équipe qui a transmis un dossier ne le "
            "clôt pas.",
            "Un échantillon de publications non signalées est aussi examiné, afin que les "
            "décisions permettent d'estimer ce que le classificateur manque.",
            "Une nouvelle version fonctionne en mode fantôme avant sa mise en production : "
            "elle évalue les publications en parallèle avec la version active sans créer de "
            "signalements, et l'écart ci-dessus est mesuré.",
            "Chaque consultation et chaque décision sont consignées dans un journal de "
            "vérification en ajout seulement, chaîné par hachage.",
        ],
        "recourse": [
            "Chaque signalement comporte une explication lisible : les exemples les plus "
            "proches de la politique, les termes relevés, l'apport de chaque facteur de "
            "contexte et le seuil atteint.",
            "Les employés voient les signalements visant leurs propres publications et les "
            "décisions prises (Mes signalements), peuvent donner leur version des faits et "
            "contester une décision; un chef d'équipe en prend connaissance et y répond.",
            "Une demande d'accès (impartial export person) remet à une personne tout ce qui "
            "est conservé à son sujet.",
        ],
        "limits": [
            "Les cotes reflètent la formulation, pas l'intention : l'ironie, les citations, "
            "les partages faits pour critiquer et les mots réappropriés peuvent être mal "
            "interprétés, et le contexte extérieur à la publication n'est pas pris en compte.",
            "Un seuil arbitre entre préoccupations manquées et signalements inutiles; c'est la "
            "décision de l'examinateur, et non la cote, qui tranche chaque cas.",
            "Les facteurs de contexte (auditoire, niveau hiérarchique, lien avec le travail de "
            "l'auteur, ton) augmentent ou réduisent le risque qui ordonne la file; ils ne "
            "décident pas si une publication est signalée.",
        ],
        "limit": {
            "shipped_thresholds": (
                "Seuils tirés de la politique livrée : ils ont été fixés à partir des exemples "
                "de la politique et de publications publiques étiquetées, et non des décisions "
                "examinées de l'organisation."
            ),
            "no_metrics": (
                "Aucune mesure de rendement n'est conservée avec cette version : évaluez-la sur "
                "des publications étiquetées (impartial eval FICHIER --classifier {version}) "
                "avant de vous y fier."
            ),
            "unlabelled_categories": (
                "Aucune étiquette d'entraînement ne correspond à ces catégories : {categories}. "
                "Elles n'ont pas été mesurées sur des publications étiquetées, et leurs seuils "
                "viennent de la politique livrée."
            ),
            "few_rows": (
                "Peu de lignes d'entraînement en {language} : {rows} (moins de {minimum}); les "
                "mesures dans cette langue sont incertaines."
            ),
            "no_rows": "Aucune ligne d'entraînement en {language}, langue officielle.",
            "lang_unknown": "La répartition des lignes d'entraînement par langue n'a pas été "
            "consignée.",
            "lang_gap": (
                "Le macro-F1 en {language} ({value}) est inférieur de {gap} à celui en "
                "{best_language} ({best}) : les publications en {language} sont jugées de "
                "façon moins fiable."
            ),
            "split_gap": (
                "Le macro-F1 en validation croisée ({kfold}) dépasse de {gap} l'estimation "
                "{method} ({other}) : des publications semblables d'une même source, présentes "
                "à la fois dans les plis d'entraînement et d'essai, gonflent la validation "
                "croisée; attendez-vous plutôt au résultat de l'estimation {method} pour de "
                "nouveaux comptes."
            ),
            "english_model": (
                "Le modèle de plongements ({model}) a été entraîné sur l'anglais : les "
                "publications en français sont évaluées par leur contraste avec les exemples "
                "français de la politique et par le lexique français, ce qui est moins fiable; "
                "un modèle multilingue améliore le français."
            ),
        },
        "disagreement": {
            "is_live": "Cette version est la version active.",
            "no_live": "Aucune version n'est active : il n'y a rien à comparer.",
            "no_overlap": (
                "Aucune publication évaluée par cette version pendant la période ne l'a été par "
                "la version active : faites-la fonctionner en mode fantôme (impartial "
                "classifier shadow {version}) pour mesurer cet écart."
            ),
            "rule": (
                "Publications évaluées par cette version pendant la période et aussi par la "
                "version active; la catégorie signalée principale d'une publication est sa "
                "catégorie la mieux cotée au-dessus du seuil, ou aucune."
            ),
        },
        "feeds": {
            "identity": (
                "Directive : évaluation de l'incidence algorithmique. EIA : projet; à propos "
                "du système."
            ),
            "system": (
                "EIA : à propos du système; à propos de l'algorithme. Directive : "
                "transparence (avis)."
            ),
            "intended_use": "EIA : à propos de la décision; évaluation des incidences.",
            "out_of_scope": "EIA : à propos de la décision; évaluation des incidences.",
            "training_data": (
                "Directive : assurance de la qualité (qualité des données). EIA : à propos des "
                "données; qualité des données."
            ),
            "performance": (
                "Directive : assurance de la qualité (vérification des biais avant la mise en "
                "production; langues officielles). EIA : qualité des données; évaluation des "
                "incidences."
            ),
            "thresholds": (
                "EIA : à propos de l'algorithme. Directive : transparence (explication)."
            ),
            "disagreement": (
                "Directive : assurance de la qualité (surveillance des résultats). EIA : "
                "mesures d'atténuation et de réduction des risques."
            ),
            "limits": (
                "EIA : évaluation des incidences; qualité des données. Directive : transparence."
            ),
            "human_involvement": (
                "Directive : assurance de la qualité (intervention humaine). EIA : à propos de "
                "la décision; équité procédurale."
            ),
            "recourse": (
                "Directive : transparence (explication); recours. EIA : équité procédurale; "
                "protection des renseignements personnels."
            ),
        },
    }
)
