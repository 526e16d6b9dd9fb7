"""The help texts that were written in the templates (the landing page's and the insured help
page's questions, with their German, Italian and English translations) become FAQ entries, so
the pages look the same after the change; the employer and broker help pages start with the
landing page's questions about codes, phones and passwords. Reversible: the reverse removes the
entries this migration wrote (by their French question), nothing typed since."""

from django.db import migrations

PUBLIC = [
    {
        'question': (
            "Où trouver mon code d'enregistrement ?"
        ),
        'question_de': (
            'Wo finde ich meinen Registrierungscode?'
        ),
        'question_it': (
            'Dove trovo il mio codice di registrazione?'
        ),
        'question_en': (
            'Where can I find my registration code?'
        ),
        'answer': (
            "Le code d'enregistrement figure sur votre certificat d'assurance (assurés) ou "
            'sur votre attestation de rente (bénéficiaires de rente, à partir de 2022), à '
            'côté de votre numéro AVS.'
        ),
        'answer_de': (
            'Der Registrierungscode steht auf Ihrem Vorsorgeausweis (Versicherte) oder auf '
            'Ihrer Rentenbescheinigung (Rentenbeziehende, ab 2022), neben Ihrer AHV-Nummer.'
        ),
        'answer_it': (
            'Il codice di registrazione figura sul Suo certificato di previdenza (persone '
            'assicurate) o sulla Sua attestazione di rendita (beneficiari di rendita, dal '
            '2022), accanto al Suo numero AVS.'
        ),
        'answer_en': (
            'The registration code is on your pension certificate (insured persons) or on '
            'your pension statement (pension recipients, from 2022 onwards), next to your AHV'
            ' number.'
        ),
    },
    {
        'question': (
            'Code SMS non reçu ?'
        ),
        'question_de': (
            'SMS-Code nicht erhalten?'
        ),
        'question_it': (
            'Codice SMS non ricevuto?'
        ),
        'question_en': (
            'SMS code not received?'
        ),
        'answer': (
            'Attendez deux minutes puis demandez un nouveau code. Si vous ne recevez toujours'
            ' rien, contactez notre centre clients.'
        ),
        'answer_de': (
            'Warten Sie zwei Minuten und fordern Sie dann einen neuen Code an. Wenn Sie immer'
            ' noch nichts erhalten, wenden Sie sich an unser Kundencenter.'
        ),
        'answer_it': (
            'Attenda due minuti, poi richieda un nuovo codice. Se continua a non ricevere '
            'nulla, contatti il nostro servizio clienti.'
        ),
        'answer_en': (
            'Wait two minutes, then request a new code. If you still do not receive anything,'
            ' contact our customer centre.'
        ),
    },
    {
        'question': (
            'Nouveau téléphone portable ?'
        ),
        'question_de': (
            'Neues Mobiltelefon?'
        ),
        'question_it': (
            'Nuovo cellulare?'
        ),
        'question_en': (
            'New mobile phone?'
        ),
        'answer': (
            "Si l'ancien numéro fonctionne encore, changez-le vous-même dans « Mon profil ». "
            'Sinon, contactez notre centre clients : pour votre sécurité, nous vous enverrons'
            ' un nouveau code par la poste.'
        ),
        'answer_de': (
            'Wenn die bisherige Nummer noch funktioniert, ändern Sie sie selbst unter «Mein '
            'Profil». Andernfalls wenden Sie sich an unser Kundencenter: Zu Ihrer Sicherheit '
            'senden wir Ihnen per Post einen neuen Code.'
        ),
        'answer_it': (
            'Se il vecchio numero funziona ancora, lo cambi Lei stesso/a in «Il mio profilo».'
            ' Altrimenti contatti il nostro servizio clienti: per la Sua sicurezza, Le '
            'invieremo un nuovo codice per posta.'
        ),
        'answer_en': (
            'If the old number still works, change it yourself in ‘My profile’. Otherwise, '
            'contact our customer centre: for your security, we will send you a new code by '
            'post.'
        ),
    },
    {
        'question': (
            'Mot de passe oublié ?'
        ),
        'question_de': (
            'Passwort vergessen?'
        ),
        'question_it': (
            'Password dimenticata?'
        ),
        'question_en': (
            'Forgotten your password?'
        ),
        'answer': (
            'Utilisez « Mot de passe oublié » sur la page de connexion : vous recevez un code'
            ' par e-mail, puis un code par SMS (ou celui de votre application '
            "d'authentification), et choisissez un nouveau mot de passe. Pour des raisons de "
            'protection des données, nous ne pouvons jamais réinitialiser un mot de passe par'
            ' téléphone.'
        ),
        'answer_de': (
            'Verwenden Sie «Passwort vergessen» auf der Anmeldeseite: Sie erhalten einen Code'
            ' per E-Mail, dann einen Code per SMS (oder den Ihrer Authentifizierungs-App), '
            'und wählen ein neues Passwort. Aus Datenschutzgründen können wir ein Passwort '
            'nie telefonisch zurücksetzen.'
        ),
        'answer_it': (
            'Utilizzi «Password dimenticata» nella pagina di accesso: riceve un codice per '
            'e-mail, poi un codice per SMS (o quello della sua app di autenticazione), e '
            'sceglie una nuova password. Per motivi di protezione dei dati non possiamo mai '
            'reimpostare una password per telefono.'
        ),
        'answer_en': (
            'Use “Forgotten password” on the login page: you receive a code by e-mail, then a'
            ' code by SMS (or the one of your authenticator app), and choose a new password. '
            'For data-protection reasons we can never reset a password by phone.'
        ),
    },
    {
        'question': (
            'Première connexion et aucun document visible ?'
        ),
        'question_de': (
            'Erste Anmeldung und keine Dokumente sichtbar?'
        ),
        'question_it': (
            'Primo accesso e nessun documento visibile?'
        ),
        'question_en': (
            'First login and no documents visible?'
        ),
        'answer': (
            "Après la première connexion, vous devez accepter les conditions d'utilisation. "
            'Vos documents sont visibles ensuite.'
        ),
        'answer_de': (
            'Nach der ersten Anmeldung müssen Sie die Nutzungsbedingungen akzeptieren. Danach'
            ' sind Ihre Dokumente sichtbar.'
        ),
        'answer_it': (
            "Dopo il primo accesso deve accettare le condizioni d'uso. In seguito i Suoi "
            'documenti sono visibili.'
        ),
        'answer_en': (
            'After your first login, you must accept the terms of use. Your documents will '
            'then be visible.'
        ),
    },
]

INSURED = [
    {
        'question': (
            'Que puis-je faire dans mon espace ?'
        ),
        'question_de': (
            'Was kann ich in meinem Bereich tun?'
        ),
        'question_it': (
            'Che cosa posso fare nel mio spazio?'
        ),
        'question_en': (
            'What can I do in my area?'
        ),
        'answer': (
            'Vous y trouvez vos documents (certificats, attestations de rente, contrats, '
            "courriers) et vos données personnelles. Vous pouvez aussi calculer l'effet d'un "
            "rachat, d'un versement anticipé pour votre logement ou de votre âge de retraite."
        ),
        'answer_de': (
            'Dort finden Sie Ihre Dokumente (Vorsorgeausweise, Rentenbescheinigungen, '
            'Verträge, Briefe) und Ihre persönlichen Daten. Sie können auch berechnen, wie '
            'sich ein Einkauf, ein Vorbezug für Ihr Wohneigentum oder Ihr Pensionierungsalter'
            ' auswirkt.'
        ),
        'answer_it': (
            'Vi trova i Suoi documenti (certificati, attestazioni di rendita, contratti, '
            "lettere) e i Suoi dati personali. Può anche calcolare l'effetto di un riscatto, "
            'di un prelievo anticipato per la Sua abitazione o della Sua età di '
            'pensionamento.'
        ),
        'answer_en': (
            'Here you will find your documents (certificates, pension statements, contracts, '
            'letters) and your personal details. You can also calculate the effect of a '
            'buy-in, an early withdrawal for your home or your retirement age.'
        ),
    },
    {
        'question': (
            'Comment changer mon numéro de téléphone ?'
        ),
        'question_de': (
            'Wie ändere ich meine Telefonnummer?'
        ),
        'question_it': (
            'Come cambio il mio numero di telefono?'
        ),
        'question_en': (
            'How do I change my phone number?'
        ),
        'answer': (
            'Cliquez sur « Mon profil » (le petit personnage en haut de la page), puis '
            'changez votre numéro. Vous recevez un code par SMS sur le nouveau numéro pour le'
            ' confirmer.'
        ),
        'answer_de': (
            'Klicken Sie auf «Mein Profil» (das kleine Personensymbol oben auf der Seite) und'
            ' ändern Sie dann Ihre Nummer. Sie erhalten zur Bestätigung einen Code per SMS '
            'auf die neue Nummer.'
        ),
        'answer_it': (
            "Clicchi su «Il mio profilo» (l'omino in alto nella pagina), poi cambi il Suo "
            'numero. Riceverà un codice via SMS sul nuovo numero per confermarlo.'
        ),
        'answer_en': (
            'Click on ‘My profile’ (the small figure at the top of the page), then change '
            'your number. You will receive a code by SMS on the new number to confirm it.'
        ),
    },
    {
        'question': (
            'Il me manque un document. Que faire ?'
        ),
        'question_de': (
            'Mir fehlt ein Dokument. Was tun?'
        ),
        'question_it': (
            'Mi manca un documento. Che cosa devo fare?'
        ),
        'question_en': (
            'A document is missing. What should I do?'
        ),
        'answer': (
            'Appelez-nous ou écrivez-nous (coordonnées ci-dessus). Nous vous aidons '
            'volontiers.'
        ),
        'answer_de': (
            'Rufen Sie uns an oder schreiben Sie uns (Kontaktangaben oben). Wir helfen Ihnen '
            'gerne.'
        ),
        'answer_it': (
            'Ci chiami o ci scriva (recapiti qui sopra). La aiutiamo volentieri.'
        ),
        'answer_en': (
            'Call us or write to us (contact details above). We will be happy to help.'
        ),
    },
    {
        'question': (
            'Comment changer mon mot de passe ?'
        ),
        'question_de': (
            'Wie ändere ich mein Passwort?'
        ),
        'question_it': (
            'Come cambio la mia password?'
        ),
        'question_en': (
            'How do I change my password?'
        ),
        'answer': (
            'Une fois connecté·e, cliquez sur « Mon profil » (le petit personnage en haut de '
            "la page). Si vous l'avez oublié, utilisez « Mot de passe oublié » sur la page de"
            ' connexion : vous recevez un code par e-mail, puis un code par SMS (ou celui de '
            "votre application d'authentification)."
        ),
        'answer_de': (
            'Klicken Sie nach der Anmeldung auf «Mein Profil» (die kleine Figur oben auf der '
            'Seite). Wenn Sie es vergessen haben, verwenden Sie «Passwort vergessen» auf der '
            'Anmeldeseite: Sie erhalten einen Code per E-Mail, dann einen Code per SMS (oder '
            'den Ihrer Authentifizierungs-App).'
        ),
        'answer_it': (
            "Dopo l'accesso clicchi su «Il mio profilo» (la piccola figura in alto nella "
            "pagina). Se l'ha dimenticata, utilizzi «Password dimenticata» nella pagina di "
            'accesso: riceve un codice per e-mail, poi un codice per SMS (o quello della sua '
            'app di autenticazione).'
        ),
        'answer_en': (
            'Once logged in, click “My profile” (the little figure at the top of the page). '
            'If you have forgotten it, use “Forgotten password” on the login page: you '
            'receive a code by e-mail, then a code by SMS (or the one of your authenticator '
            'app).'
        ),
    },
    {
        'question': (
            "J'ai un nouveau téléphone portable. Que faire ?"
        ),
        'question_de': (
            'Ich habe ein neues Mobiltelefon. Was tun?'
        ),
        'question_it': (
            'Ho un nuovo cellulare. Che cosa devo fare?'
        ),
        'question_en': (
            'I have a new mobile phone. What should I do?'
        ),
        'answer': (
            'Si votre ancien numéro fonctionne encore, changez-le vous-même dans « Mon profil'
            " ». Si vous ne pouvez plus recevoir de SMS sur l'ancien numéro et ne pouvez plus"
            ' vous connecter, appelez-nous : pour votre sécurité, nous vous envoyons un '
            'nouveau code par la poste.'
        ),
        'answer_de': (
            'Wenn Ihre bisherige Nummer noch funktioniert, ändern Sie sie selbst unter «Mein '
            'Profil». Wenn Sie auf der bisherigen Nummer keine SMS mehr erhalten und sich '
            'nicht mehr anmelden können, rufen Sie uns an: Zu Ihrer Sicherheit senden wir '
            'Ihnen per Post einen neuen Code.'
        ),
        'answer_it': (
            'Se il Suo vecchio numero funziona ancora, lo cambi Lei stesso/a in «Il mio '
            'profilo». Se non può più ricevere SMS sul vecchio numero e non riesce più ad '
            'accedere, ci chiami: per la Sua sicurezza, Le inviamo un nuovo codice per posta.'
        ),
        'answer_en': (
            'If your old number still works, change it yourself in ‘My profile’. If you can '
            'no longer receive SMS on the old number and can no longer log in, call us: for '
            'your security, we will send you a new code by post.'
        ),
    },
    {
        'question': (
            'Je ne reçois pas le code SMS.'
        ),
        'question_de': (
            'Ich erhalte den SMS-Code nicht.'
        ),
        'question_it': (
            'Non ricevo il codice SMS.'
        ),
        'question_en': (
            'I do not receive the SMS code.'
        ),
        'answer': (
            "Attendez deux minutes, puis demandez un nouveau code. Si rien n'arrive, "
            'appelez-nous ou écrivez-nous (coordonnées ci-dessus).'
        ),
        'answer_de': (
            'Warten Sie zwei Minuten und fordern Sie dann einen neuen Code an. Wenn nichts '
            'ankommt, rufen Sie uns an oder schreiben Sie uns (Kontaktangaben oben).'
        ),
        'answer_it': (
            'Attenda due minuti, poi richieda un nuovo codice. Se non arriva nulla, ci chiami'
            ' o ci scriva (recapiti qui sopra).'
        ),
        'answer_en': (
            'Wait two minutes, then request a new code. If nothing arrives, call us or write '
            'to us (contact details above).'
        ),
    },
    {
        'question': (
            'Première connexion : je ne vois aucun document.'
        ),
        'question_de': (
            'Erste Anmeldung: Ich sehe keine Dokumente.'
        ),
        'question_it': (
            'Primo accesso: non vedo alcun documento.'
        ),
        'question_en': (
            'First login: I cannot see any documents.'
        ),
        'answer': (
            "À la première connexion, vous devez d'abord accepter les conditions "
            "d'utilisation. Vos documents s'affichent ensuite. Si ce n'est pas le cas, "
            'appelez-nous.'
        ),
        'answer_de': (
            'Bei der ersten Anmeldung müssen Sie zuerst die Nutzungsbedingungen akzeptieren. '
            'Danach werden Ihre Dokumente angezeigt. Falls nicht, rufen Sie uns an.'
        ),
        'answer_it': (
            "Al primo accesso deve prima accettare le condizioni d'uso. In seguito vengono "
            'visualizzati i Suoi documenti. Se così non fosse, ci chiami.'
        ),
        'answer_en': (
            'When you log in for the first time, you must first accept the terms of use. Your'
            ' documents will then be displayed. If they are not, please call us.'
        ),
    },
    {
        'question': (
            'Comment obtenir un accès au portail ?'
        ),
        'question_de': (
            'Wie erhalte ich Zugang zum Portal?'
        ),
        'question_it': (
            "Come ottengo l'accesso al portale?"
        ),
        'question_en': (
            'How do I get access to the portal?'
        ),
        'answer': (
            "Enregistrez-vous avec votre numéro AVS et le code d'enregistrement imprimé sur "
            'votre certificat de prévoyance ou votre attestation de rente.'
        ),
        'answer_de': (
            'Registrieren Sie sich mit Ihrer AHV-Nummer und dem Registrierungscode, der auf '
            'Ihrem Vorsorgeausweis oder Ihrer Rentenbescheinigung gedruckt ist.'
        ),
        'answer_it': (
            'Si registri con il Suo numero AVS e il codice di registrazione stampato sul Suo '
            'certificato di previdenza o sulla Sua attestazione di rendita.'
        ),
        'answer_en': (
            'Register with your AHV number and the registration code printed on your pension '
            'certificate or your pension statement.'
        ),
    },
    {
        'question': (
            'Pourquoi faut-il un code en plus du mot de passe ?'
        ),
        'question_de': (
            'Warum braucht es zusätzlich zum Passwort einen Code?'
        ),
        'question_it': (
            'Perché serve un codice oltre alla password?'
        ),
        'question_en': (
            'Why is a code needed in addition to the password?'
        ),
        'answer': (
            'Le code arrive par un autre chemin (votre téléphone) et ne reste valable que peu'
            " de temps. Même si quelqu'un connaît votre mot de passe, il ne peut pas entrer "
            'dans votre espace sans ce code.'
        ),
        'answer_de': (
            'Der Code kommt auf einem anderen Weg (über Ihr Telefon) und ist nur kurze Zeit '
            'gültig. Selbst wenn jemand Ihr Passwort kennt, kann diese Person ohne diesen '
            'Code nicht auf Ihren Bereich zugreifen.'
        ),
        'answer_it': (
            "Il codice arriva per un'altra via (il Suo telefono) e resta valido solo per poco"
            ' tempo. Anche se qualcuno conosce la Sua password, non può entrare nel Suo '
            'spazio senza questo codice.'
        ),
        'answer_en': (
            'The code arrives by a different route (your phone) and is only valid for a short'
            ' time. Even if someone knows your password, they cannot get into your area '
            'without this code.'
        ),
    },
]

EMPLOYER = BROKER = [PUBLIC[1], PUBLIC[2], PUBLIC[3]]

SEEDED = {
    "public": PUBLIC,
    "insured": INSURED,
    "pensioner": INSURED,
    "employer": EMPLOYER,
    "broker": BROKER,
}


def seed(apps, schema_editor):
    FaqEntry = apps.get_model("accounts", "FaqEntry")
    rows = []
    for portal, entries in SEEDED.items():
        for index, texts in enumerate(entries, start=1):
            rows.append(FaqEntry(portal=portal, order=index * 10, published=True, **texts))
    FaqEntry.objects.bulk_create(rows)


def unseed(apps, schema_editor):
    FaqEntry = apps.get_model("accounts", "FaqEntry")
    for portal, entries in SEEDED.items():
        FaqEntry.objects.filter(
            portal=portal, question__in=[texts["question"] for texts in entries]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_faq_entries")]

    operations = [migrations.RunPython(seed, unseed)]
