<?php
// Symfony Mailer's SendmailTransport with its default -bs command, pointed
// at outbox (argv[1] is a directory holding a "sendmail" link to it).
// Sends one message with an attachment (argv[2]) and a Bcc, and prints the
// dialogue Symfony saw (its debug log), which holds "queued as <ID>".
require '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mime/autoload.php';

use Symfony\Component\Mailer\Transport\SendmailTransport;
use Symfony\Component\Mime\Email;

$transport = new SendmailTransport($argv[1] . '/sendmail -bs');
$email = (new Email())
    ->from('App <app@example.com>')
    ->to('user@example.net')
    ->bcc('hidden@example.org')
    ->subject('Invoice 42')
    ->text("Hello,\n.\nyour invoice is attached.\n")
    ->attachFromPath($argv[2], 'invoice.bin', 'application/octet-stream');
$sent = $transport->send($email);
echo $sent->getDebug();
