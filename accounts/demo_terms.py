"""The demo's terms of use (seed_demo), version 1, in the four portal languages: scope, data
protection under the Swiss Federal Act on Data Protection (nFADP), the user's security duties,
liability, changes. A real fund has its lawyers write its own; these read like real ones so that
a demo user sees what accepting means."""

from __future__ import annotations

DEMO_TERMS_VERSION = 1

DEMO_TERMS: dict[str, tuple[str, str]] = {
    "fr": ("Conditions d'utilisation du portail en ligne", """\
Version 1, en vigueur dès le 1er janvier 2026. Caisse de pension Alpina (ci-après « la caisse »).

1. Objet et champ d'application
Le portail en ligne permet aux personnes assurées, aux bénéficiaires de rente, aux entreprises affiliées et à leurs mandataires ainsi qu'aux partenaires de distribution de consulter les données de prévoyance qui les concernent, de télécharger des documents, de faire des simulations et de transmettre des demandes. Ces conditions s'appliquent à toute utilisation du portail, en plus du règlement de prévoyance et du contrat d'affiliation. En cas de contradiction, le règlement et le contrat priment.

2. Accès et identification
L'accès demande une adresse e-mail ou un numéro AVS, un mot de passe personnel et un deuxième facteur (application d'authentification, SMS ou code de secours). Toute personne qui s'identifie de cette manière est considérée comme autorisée à utiliser le portail au nom du compte. Les entreprises et les partenaires désignent eux-mêmes les personnes qui reçoivent un accès et le retirent sans délai lorsqu'il n'est plus justifié.

3. Devoirs de diligence de l'utilisateur
Vous gardez votre mot de passe, vos codes et vos codes de secours secrets et ne les communiquez à personne, pas même à la caisse : nous ne vous les demanderons jamais. Vous choisissez un mot de passe que vous n'utilisez nulle part ailleurs, protégez votre téléphone par un verrouillage, utilisez un appareil à jour et vous déconnectez après chaque session. Si vous soupçonnez qu'une autre personne connaît vos données d'accès, ou si vous perdez votre téléphone, changez immédiatement votre mot de passe et appelez notre centre clients, qui bloque l'accès.

4. Protection des données
La caisse traite vos données personnelles conformément à la loi fédérale sur la protection des données (LPD), à la LPP et au règlement, uniquement pour exécuter la prévoyance professionnelle et faire fonctionner le portail. Les données sont hébergées en Suisse. Pour votre sécurité, nous enregistrons les connexions, les appareils utilisés et les actions importantes (par exemple un changement d'adresse ou de compte) ; ces journaux sont conservés 12 mois. Vous pouvez à tout moment consulter et télécharger vos données dans le portail (« Mes données ») et demander la rectification de données inexactes. Les autres droits selon la LPD s'exercent auprès de notre conseiller à la protection des données, à l'adresse indiquée dans l'aide.

5. Simulations et informations
Les simulations sont indicatives et sans engagement. Seuls le règlement, les certificats de prévoyance et les décomptes de la caisse font foi. Une demande transmise par le portail n'est valable qu'après son traitement par la caisse.

6. Responsabilité
La caisse met en œuvre des mesures de sécurité conformes à l'état de la technique, mais ne peut pas garantir un accès ininterrompu ni exempt d'erreurs. Elle répond des dommages qu'elle cause intentionnellement ou par négligence grave. Elle ne répond pas des dommages résultant d'une violation des devoirs de diligence du chiffre 3, d'interruptions techniques ou de l'équipement de l'utilisateur.

7. Blocage et fin de l'accès
La caisse peut bloquer un accès en cas de soupçon d'abus, après plusieurs tentatives de connexion échouées ou à la fin du rapport de prévoyance. Vous pouvez faire supprimer votre compte à tout moment ; les données de prévoyance elles-mêmes restent conservées selon les délais légaux.

8. Modifications
La caisse peut modifier ces conditions. La nouvelle version vous est présentée à votre prochaine connexion et s'applique dès que vous l'avez acceptée ; sans acceptation, le portail n'est plus accessible, mais vos droits de prévoyance ne sont pas touchés.

9. Droit applicable et for
Le droit suisse est applicable. Le for est celui prévu par la LPP."""),
    "de": ("Nutzungsbedingungen des Online-Portals", """\
Version 1, gültig ab 1. Januar 2026. Pensionskasse Alpina (nachstehend «die Kasse»).

1. Gegenstand und Geltungsbereich
Über das Online-Portal können versicherte Personen, Rentenbeziehende, angeschlossene Unternehmen und deren Beauftragte sowie Vertriebspartner die sie betreffenden Vorsorgedaten einsehen, Dokumente herunterladen, Simulationen durchführen und Anträge übermitteln. Diese Bedingungen gelten für jede Nutzung des Portals, ergänzend zum Vorsorgereglement und zum Anschlussvertrag. Bei Widersprüchen gehen Reglement und Vertrag vor.

2. Zugang und Identifikation
Für den Zugang braucht es eine E-Mail-Adresse oder AHV-Nummer, ein persönliches Passwort und einen zweiten Faktor (Authentifizierungs-App, SMS oder Notfallcode). Wer sich so ausweist, gilt als berechtigt, das Portal im Namen des Kontos zu nutzen. Unternehmen und Partner bestimmen selbst, wer Zugang erhält, und entziehen ihn unverzüglich, wenn er nicht mehr gerechtfertigt ist.

3. Sorgfaltspflichten der Nutzerin und des Nutzers
Sie halten Passwort, Codes und Notfallcodes geheim und geben sie niemandem weiter, auch nicht der Kasse: Wir werden Sie nie danach fragen. Sie wählen ein Passwort, das Sie nirgends sonst verwenden, schützen Ihr Telefon mit einer Sperre, verwenden ein aktuelles Gerät und melden sich nach jeder Sitzung ab. Vermuten Sie, dass jemand Ihre Zugangsdaten kennt, oder verlieren Sie Ihr Telefon, ändern Sie sofort Ihr Passwort und rufen Sie unser Kundencenter an, das den Zugang sperrt.

4. Datenschutz
Die Kasse bearbeitet Ihre Personendaten gemäss dem Bundesgesetz über den Datenschutz (DSG), dem BVG und dem Reglement, ausschliesslich zur Durchführung der beruflichen Vorsorge und zum Betrieb des Portals. Die Daten werden in der Schweiz gespeichert. Zu Ihrer Sicherheit protokollieren wir Anmeldungen, verwendete Geräte und wichtige Handlungen (zum Beispiel eine Adress- oder Kontoänderung); diese Protokolle werden 12 Monate aufbewahrt. Sie können Ihre Daten jederzeit im Portal einsehen und herunterladen («Meine Daten») und die Berichtigung unrichtiger Daten verlangen. Die weiteren Rechte nach DSG machen Sie bei unserer Datenschutzberaterin oder unserem Datenschutzberater geltend (Adresse in der Hilfe).

5. Simulationen und Informationen
Simulationen sind unverbindlich. Massgebend sind allein das Reglement, die Vorsorgeausweise und die Abrechnungen der Kasse. Ein über das Portal übermittelter Antrag gilt erst nach seiner Bearbeitung durch die Kasse.

6. Haftung
Die Kasse trifft Sicherheitsmassnahmen nach dem Stand der Technik, kann aber keinen ununterbrochenen und fehlerfreien Zugang gewährleisten. Sie haftet für Schäden, die sie vorsätzlich oder grobfahrlässig verursacht. Sie haftet nicht für Schäden aus einer Verletzung der Sorgfaltspflichten nach Ziffer 3, aus technischen Unterbrüchen oder aus der Ausrüstung der Nutzenden.

7. Sperrung und Ende des Zugangs
Die Kasse kann einen Zugang bei Verdacht auf Missbrauch, nach mehreren fehlgeschlagenen Anmeldeversuchen oder bei Ende des Vorsorgeverhältnisses sperren. Sie können Ihr Konto jederzeit löschen lassen; die Vorsorgedaten selbst werden gemäss den gesetzlichen Fristen aufbewahrt.

8. Änderungen
Die Kasse kann diese Bedingungen ändern. Die neue Version wird Ihnen bei der nächsten Anmeldung angezeigt und gilt, sobald Sie sie akzeptiert haben; ohne Zustimmung ist das Portal nicht mehr zugänglich, Ihre Vorsorgeansprüche bleiben aber unberührt.

9. Anwendbares Recht und Gerichtsstand
Es gilt schweizerisches Recht. Der Gerichtsstand richtet sich nach dem BVG."""),
    "it": ("Condizioni d'uso del portale online", """\
Versione 1, in vigore dal 1° gennaio 2026. Cassa pensione Alpina (di seguito «la cassa»).

1. Oggetto e campo d'applicazione
Il portale online permette alle persone assicurate, ai beneficiari di rendita, alle aziende affiliate e ai loro mandatari nonché ai partner di distribuzione di consultare i dati di previdenza che li riguardano, scaricare documenti, effettuare simulazioni e trasmettere richieste. Queste condizioni si applicano a ogni utilizzo del portale, in aggiunta al regolamento di previdenza e al contratto d'affiliazione. In caso di contraddizione prevalgono il regolamento e il contratto.

2. Accesso e identificazione
L'accesso richiede un indirizzo e-mail o un numero AVS, una password personale e un secondo fattore (app di autenticazione, SMS o codice di emergenza). Chi si identifica in questo modo è considerato autorizzato a utilizzare il portale a nome del conto. Le aziende e i partner designano essi stessi le persone che ricevono un accesso e lo revocano senza indugio quando non è più giustificato.

3. Obblighi di diligenza dell'utente
Mantenete segreti la password, i codici e i codici di emergenza e non li comunicate a nessuno, nemmeno alla cassa: non ve li chiederemo mai. Scegliete una password che non usate altrove, proteggete il telefono con un blocco, usate un apparecchio aggiornato e vi disconnettete dopo ogni sessione. Se sospettate che un'altra persona conosca i vostri dati d'accesso, o se perdete il telefono, cambiate subito la password e chiamate il nostro centro clienti, che blocca l'accesso.

4. Protezione dei dati
La cassa tratta i vostri dati personali conformemente alla legge federale sulla protezione dei dati (LPD), alla LPP e al regolamento, unicamente per attuare la previdenza professionale e far funzionare il portale. I dati sono conservati in Svizzera. Per la vostra sicurezza registriamo i login, gli apparecchi usati e le azioni importanti (ad esempio un cambiamento d'indirizzo o di conto); questi registri sono conservati 12 mesi. Potete in ogni momento consultare e scaricare i vostri dati nel portale («I miei dati») e chiedere la rettifica di dati inesatti. Gli altri diritti secondo la LPD si esercitano presso il nostro consulente per la protezione dei dati, all'indirizzo indicato nell'aiuto.

5. Simulazioni e informazioni
Le simulazioni sono indicative e senza impegno. Fanno stato soltanto il regolamento, i certificati di previdenza e i conteggi della cassa. Una richiesta trasmessa tramite il portale è valida solo dopo il suo trattamento da parte della cassa.

6. Responsabilità
La cassa adotta misure di sicurezza conformi allo stato della tecnica, ma non può garantire un accesso ininterrotto ed esente da errori. Risponde dei danni causati intenzionalmente o per negligenza grave. Non risponde dei danni dovuti a una violazione degli obblighi di diligenza di cui al punto 3, a interruzioni tecniche o all'apparecchiatura dell'utente.

7. Blocco e fine dell'accesso
La cassa può bloccare un accesso in caso di sospetto abuso, dopo vari tentativi di login falliti o alla fine del rapporto di previdenza. Potete far cancellare il vostro conto in ogni momento; i dati di previdenza stessi sono conservati secondo i termini legali.

8. Modifiche
La cassa può modificare queste condizioni. La nuova versione vi è presentata al prossimo login e si applica non appena l'avete accettata; senza accettazione il portale non è più accessibile, ma i vostri diritti di previdenza non sono toccati.

9. Diritto applicabile e foro
Si applica il diritto svizzero. Il foro è quello previsto dalla LPP."""),
    "en": ("Terms of use of the online portal", """\
Version 1, in force from 1 January 2026. Alpina Pension Fund (the "fund").

1. Purpose and scope
The online portal lets insured persons, pensioners, affiliated companies and their agents, and distribution partners see the pension data that concerns them, download documents, run simulations and send requests. These terms apply to every use of the portal, in addition to the pension fund regulations and the affiliation contract. Where they conflict, the regulations and the contract prevail.

2. Access and identification
Access requires an e-mail address or AHV number, a personal password and a second factor (authenticator app, SMS or backup code). Anyone who identifies in this way is deemed authorised to use the portal on behalf of the account. Companies and partners decide themselves who receives access and withdraw it without delay when it is no longer justified.

3. The user's security duties
You keep your password, codes and backup codes secret and give them to nobody, not even the fund: we will never ask for them. You choose a password you use nowhere else, protect your phone with a screen lock, use an up-to-date device and log out after each session. If you suspect that someone else knows your access data, or you lose your phone, change your password at once and call our customer centre, which blocks the access.

4. Data protection
The fund processes your personal data in accordance with the Federal Act on Data Protection (nFADP), the BVG/LPP and its regulations, solely to carry out occupational pension provision and to run the portal. The data is hosted in Switzerland. For your security we log logins, the devices used and important actions (for example a change of address or bank account); these logs are kept for 12 months. You can see and download your data in the portal at any time ("My data") and ask for incorrect data to be corrected. You exercise your other rights under the nFADP with our data protection advisor, at the address given in the help.

5. Simulations and information
Simulations are indicative and not binding. Only the regulations, the pension certificates and the fund's statements are authoritative. A request sent through the portal is valid only once the fund has processed it.

6. Liability
The fund takes security measures in line with the state of the art but cannot guarantee uninterrupted or error-free access. It is liable for damage it causes intentionally or through gross negligence. It is not liable for damage resulting from a breach of the duties in section 3, from technical interruptions or from the user's equipment.

7. Blocking and end of access
The fund may block access on suspicion of misuse, after several failed login attempts or when the pension relationship ends. You can have your account deleted at any time; the pension data itself is kept for the periods the law requires.

8. Changes
The fund may change these terms. The new version is shown to you at your next login and applies once you have accepted it; without acceptance the portal is no longer accessible, but your pension rights are not affected.

9. Applicable law and jurisdiction
Swiss law applies. Jurisdiction is as provided by the BVG/LPP."""),
}
