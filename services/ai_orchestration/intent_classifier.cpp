#include "intent_classifier.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "text_analysis.h"

namespace salesos::ai {
namespace {

// ---- Lexicons --------------------------------------------------------------------------------
//
// One group per (language, intent, weight, tag): phrases separated by ';', in PhraseMatcher
// syntax ('*' prefix, '~' gap). Weights: 3 settles the intent alone, 2 is a clear signal, 1-1.5
// a hint that needs company. An `other` group of weight 0 only blocks shorter phrases inside it
// ("combien de fois" is not a price question).

enum Flags : unsigned { kNone = 0, kNegatable = 1 };

struct Group {
  std::string_view lang;
  Intent intent;
  double weight;
  std::string_view tag;
  unsigned flags;
  std::string_view phrases;
};

using I = Intent;

constexpr Group kGroups[] = {
    // ---------------------------------------------------------------- English
    {"en", I::kGreeting, 2, "", kNone,
     "hi;hello;hey;heya;hiya;howdy;helo;hello there;hi there;hey there;good morning;"
     "good afternoon;good evening;greetings;morning;yo"},
    {"en", I::kSmalltalk, 2, "thanks", kNone,
     "thanks;thank you;thank u;thanks a lot;many thanks;cheers;much appreciated;appreciate it;"
     "thanks anyway;thanks for the info;thanks for the information;thanks for your help;"
     "thank you for the info"},
    {"en", I::kSmalltalk, 2, "howareyou", kNone,
     "how are you;how are you doing;how is it going;hows it going;whats up;sup;hope you are well"},
    {"en", I::kSmalltalk, 2, "bye", kNone,
     "bye;goodbye;bye bye;see you;see ya;have a nice day;have a good day;good night;take care"},
    {"en", I::kSmalltalk, 1.5, "ack", kNone,
     "ok;okay;k;cool;nice;great;awesome;got it;i see;sounds good;alright;all right;lol;haha*;"
     "wow;amazing;good to know;fine;understood;no worries;no problem"},
    {"en", I::kPriceQuestion, 3, "", kNone,
     "how much;price;prices;pricing;priced;whats the price;what is the price;cost;costs;"
     "what does it cost;how expensive;fee;fees;monthly fee;what do you charge;get a quote;"
     "a quote for;send me a quote;give me a quote;rate;rates"},
    {"en", I::kPriceQuestion, 1, "", kNone, "per month;per user;per year"},
    {"en", I::kPriceQuestion, 3, "discount", kNone,
     "discount*;coupon*;promo code;promo;promotion;any deal;any deals;special offer;cheaper plan;"
     "student price;sale price"},
    {"en", I::kPurchaseIntent, 3, "", kNegatable,
     "want to buy;want to order;want to purchase;want to subscribe;want to sign up;want it;"
     "want one;ill take it;ill take one;ill take;i will take;ill buy;ill get one;buy it;buy one;"
     "how do i buy;how can i buy;how to buy;where can i buy;where do i buy;how do i order;"
     "how can i order;how to order;place an order;place my order;id like to order;"
     "id like to buy;would like to buy;would like to order;sign me up;sign up;signup;"
     "subscribe;lets do it;lets go;im in;count me in;ready to buy;ready to order;take my money;"
     "how do i get started;how can i get started;get started;purchase it;checkout;check out;"
     "lets go ahead;go ahead;im ready;i am ready;book it;buy now;order now;want to get it;"
     "sign us up;sign ~ up;id like to book;want to book;book a;book the;book my;enrol me;"
     "enroll me;i want to enrol;i want to enroll;register me"},
    {"en", I::kPurchaseIntent, 1.5, "", kNegatable, "buy;order;purchase;deal"},
    {"en", I::kObjection, 3, "price", kNone,
     "too expensive;to expensive;so expensive;very expensive;too pricey;too much money;"
     "cant afford;can not afford;cannot afford;not in my budget;out of my budget;over budget;"
     "over our budget;no budget;a lot of money;cheaper elsewhere;found it cheaper;too much for;"
     "too much"},
    {"en", I::kObjection, 2, "price", kNone, "expensive;pricey;costly"},
    {"en", I::kObjection, 3, "think", kNone,
     "need to think;have to think;think about it;let me think;ill think;will think;"
     "sleep on it;need some time to decide;need time to decide;talk to my;discuss it with;"
     "check with my;ask my;not ready;not yet;get back to you;talk it over;discuss with my;"
     "speak to my;speak with my;talk with my"},
    {"en", I::kObjection, 3, "doubt", kNone,
     "not sure;im not sure;not convinced;dont know if;doubt it;skeptical;is it worth;"
     "not for me;dont think so;not sure about"},
    {"en", I::kObjection, 3, "competitor", kNone,
     "already use;already using;already have;already got;already work with;happy with our;"
     "another provider;other provider;a competitor;use another;using another;already study;"
     "already do;already take"},
    {"en", I::kObjection, 3, "time", kNone,
     "no time;dont have time;do not have time;too busy;not now;not right now;bad time;"
     "maybe later;later maybe;some other time"},
    {"en", I::kObjection, 3, "interest", kNone,
     "not interested;no interest;stop messaging;stop sending;stop writing;leave me alone;"
     "no thanks;no thank you;dont need;do not need;dont want;do not want;unsubscribe;"
     "never mind;nevermind;forget it;ill pass;i will pass"},
    {"en", I::kObjection, 3, "renting", kNone,
     "im renting;we are renting;were renting;i rent;we rent;renting;tenant;my landlord;"
     "our landlord;rented"},
    {"en", I::kObjection, 3, "shipping", kNone, "takes too long;too slow;too long;way too long"},
    {"en", I::kComplaint, 3, "", kNone,
     "terrible;awful;horrible;worst;scam;fraud;rip off;ripoff;unacceptable;disgusting;"
     "ridiculous;broken;doesnt work;does not work;not working;stopped working;never arrived;"
     "never received;didnt arrive;hasnt arrived;not arrived;still havent;still waiting;"
     "refund;money back;charged twice;double charged;overcharged;complain*;disappointed;"
     "disappointing;angry;furious;crash*;deleted;lost my;useless;waste of money;"
     "nobody answers;no one answers;nobody answered;no response;bad service;poor service;rude;"
     "shame on you;damaged;defective;wrong item;wrong order;nobody showed up;no one showed up;"
     "nobody came;no one came;nobody calls;nobody called;no one calls;leaking;disrespectful"},
    {"en", I::kComplaint, 2, "", kNone, "bug;bugs;problem with my;issue with my;not happy;unhappy"},
    {"en", I::kHumanRequest, 4, "", kNone,
     "talk to a human;talk to a person;talk to someone;talk with someone;speak to someone;"
     "speak with someone;speak to a human;speak with a human;speak to a person;real person;"
     "human agent;a human;an agent;live agent;live chat;customer service;representative;"
     "operator;call me;phone me;can you call;give me a call;talk to sales;speak with sales;"
     "speak to sales;someone from;connect me;transfer me;talk to a real;a manager;your manager;"
     "real human;actual person;talk to somebody;speak to somebody;salesperson;sales rep"},
    {"en", I::kHumanRequest, 2, "", kNone, "talk to;speak to;speak with;talk with;person;human"},
    {"en", I::kProductQuestion, 2, "", kNone,
     "does it;do you have;do you offer;do you sell;is there;are there;can it;can i;can you;"
     "is it;are they;how does;how do;how long;how many;when will;where is;where are;which;"
     "available;availability;feature*;includ*;work with;integrat*;compatible;shipping;ship;"
     "deliver*;warranty;guarantee;return policy;returns;size;sizes;colou*;color*;api;"
     "app;mobile;offline;security;support;cancel;trial;demo;data"},
    {"en", I::kProductQuestion, 3, "features", kNone,
     "what is this;what is it;whats this;what is that;what do you offer;tell me more;"
     "more info;more information;more details;what does it include;whats included;"
     "what is included;what features;what do i get;what exactly;what is this about;"
     "what does it do;info please;details please"},
    {"en", I::kProductQuestion, 3, "", kNone,
     "how much does it weigh;how heavy;how big;how long does;how long will;what about"},
    {"en", I::kOther, 3, "meta", kNone,
     "are you there;are you a bot;are you a robot;are you real;can you understand;"
     "do you understand;anyone there;is anyone there;you there"},

    // ---------------------------------------------------------------- Spanish
    {"es", I::kGreeting, 2, "", kNone,
     "hola*;buenas;buenos dias;buenas tardes;buenas noches;buen dia;saludos;que tal;ola k ase"},
    {"es", I::kSmalltalk, 2, "thanks", kNone,
     "gracias;muchas gracias;mil gracias;gracias igualmente;te lo agradezco;se agradece;"
     "gracias por la info;gracias por la informacion;gracias por tu ayuda"},
    {"es", I::kSmalltalk, 2, "howareyou", kNone,
     "como estas;como esta;que tal estas;como te va;como va todo;todo bien"},
    {"es", I::kSmalltalk, 2, "bye", kNone,
     "chao;chau;adios;hasta luego;hasta pronto;nos vemos;buen fin de semana;que tengas buen dia"},
    {"es", I::kSmalltalk, 1.5, "ack", kNone,
     "vale;ok;genial;perfecto;jaja*;jeje*;bueno;entendido;claro;bien;de acuerdo;okey;dale;"
     "que bien;excelente;estupendo;guay;de nada"},
    {"es", I::kPriceQuestion, 3, "", kNone,
     "cuanto cuesta*;cuanto cuestan;cuanto vale*;cuanto valen;cuanto es;cuanto sale*;"
     "cuanto cobran;cuanto me sale;precio*;que precio;costo;coste;tarifa*"},
    {"es", I::kPriceQuestion, 2, "", kNone, "cuanto"},
    {"es", I::kPriceQuestion, 1.5, "", kNone, "valor;pagar"},
    {"es", I::kPriceQuestion, 3, "discount", kNone,
     "descuento*;oferta*;promocion*;rebaja*;cupon*;codigo promocional;precio especial"},
    {"es", I::kPurchaseIntent, 3, "", kNegatable,
     "quiero comprar*;quiero comprarl*;lo quiero;la quiero;los quiero;las quiero;me lo llevo;"
     "me la llevo;me los llevo;me las llevo;lo compro;la compro;las compro;los compro;"
     "quiero pedir*;hacer un pedido;hago el pedido;como compro;como lo compro;como las compro;"
     "como los compro;donde compro;donde las compro;donde puedo comprar*;"
     "como puedo comprar*;como hago para comprar;como hago el pedido;quiero contratar*;"
     "quiero suscribir*;me apunto;quiero uno;quiero una;quiero un par;quiero dos;"
     "trato hecho;adelante;vamos a ello;me interesa comprar*;quisiera comprar*;"
     "quisiera pedir;quiero reservar*;contratarlo;contratarla;lo contrato;comprarlas;"
     "comprarlos;comprarlo;comprarla;me inscribo;inscribirme;quiero inscribirme;"
     "me quiero inscribir;me matriculo;matricularme;quiero reservar;lo reservo"},
    {"es", I::kPurchaseIntent, 1.5, "", kNegatable, "comprar;contratar;pedido;pedirlo;pedirlas"},
    {"es", I::kObjection, 3, "price", kNone,
     "muy caro*;muy caras;demasiado caro*;demasiado caras;es mucho dinero;no me alcanza;"
     "no tengo dinero;no tengo presupuesto;fuera de mi presupuesto;mas barato*;carisimo*;"
     "un poco caro*;bastante caro*"},
    {"es", I::kObjection, 2, "price", kNone, "caro;caros;caras;cara"},
    {"es", I::kObjection, 3, "think", kNone,
     "tengo que pensar*;lo tengo que pensar;lo voy a pensar;lo pienso;lo pensare;"
     "dejame pensar*;pensarlo;tengo que consultarlo;lo consulto;lo hablo con;"
     "tengo que hablarlo;todavia no;aun no;lo hablo con mi;hablarlo con mi;consultarlo con mi;"
     "lo veo y te aviso;te aviso;ya te dire;luego te digo;lo veo"},
    {"es", I::kObjection, 2, "think", kNone, "pensar;pensarmelo"},
    {"es", I::kObjection, 3, "doubt", kNone,
     "no estoy segur*;no se si;no me convence;no lo veo claro;no creo;no es para mi;tengo dudas"},
    {"es", I::kObjection, 3, "competitor", kNone,
     "ya tengo;ya uso;ya usamos;ya tenemos;ya trabajo con;ya trabajamos con;otro proveedor;"
     "la competencia;ya estudio;ya estudiamos;ya hago;ya compro"},
    {"es", I::kObjection, 3, "time", kNone,
     "no tengo tiempo;sin tiempo;estoy ocupad*;ahora no;mas adelante;en otro momento;mas tarde"},
    {"es", I::kObjection, 3, "interest", kNone,
     "no me interesa*;no estoy interesad*;no gracias;no quiero;dejen de escribir*;"
     "no me escriban;no necesito;no lo necesito;olvidalo;dejalo;pues nada;mejor no;paso"},
    {"es", I::kObjection, 3, "renting", kNone,
     "alquiler;de alquiler;alquilo;alquilamos;arriendo;arrendamos;inquilino;inquilina;casero"},
    {"es", I::kObjection, 3, "shipping", kNone, "tarda mucho;tarda demasiado;muy lento"},
    {"es", I::kComplaint, 3, "", kNone,
     "estafa*;fraude;timo;horrible;pesimo*;terrible;fatal;una verguenza;verguenza;"
     "vergonzoso;no funciona*;no sirve*;roto;rota;rotos;rotas;defectuos*;nunca llego;"
     "no llego;no ha llegado;no me ha llegado;todavia no llega;aun no llega;reembolso;"
     "devuelvan mi dinero;quiero mi dinero;queja;reclamo;reclamacion;me cobraron dos veces;"
     "cobraron de mas;nadie me responde;nadie responde;nadie contesta;mal servicio;"
     "mala atencion;pesima atencion;decepcionad*;indignad*;enojad*;harto;harta;"
     "un desastre;desastre;inaceptable;falta de respeto;nadie vino;nadie aparecio;"
     "nadie se presento;una burla"},
    {"es", I::kComplaint, 2, "", kNone, "me cobraron;problema con mi;molest*;mal estado"},
    {"es", I::kHumanRequest, 4, "", kNone,
     "hablar con una persona;hablar con alguien;hablar con un humano;hablar con un agente;"
     "hablar con un asesor;una persona real;persona de verdad;un humano;un asesor;un agente;"
     "operador*;atencion al cliente;que me llamen;me pueden llamar;me puedes llamar;"
     "me podeis llamar;llamenme;llamame;me puede ayudar alguien;alguien me puede ayudar;"
     "hablar con ventas;un vendedor;comunicarme con;pasame con;paseme con"},
    {"es", I::kHumanRequest, 2, "", kNone, "persona;humano;asesor*;agente;alguien;hablar con"},
    {"es", I::kProductQuestion, 2, "", kNone,
     "tiene;tienen;incluye*;como funciona*;funciona;caracteristica*;envio*;envian;envias;"
     "hacen envios;garantia;devolucion*;talla*;tallan;color*;tamano;medida*;cuanto tarda*;"
     "cuanto tiempo;cuantos dias;disponible*;stock;informacion;detalles;donde esta*;"
     "donde estan;compatible*;app;aplicacion;sirve para;se puede;puedo;hay;son"},
    {"es", I::kProductQuestion, 3, "", kNone,
     "cuanto pesa*;cuanto mide*;cuanto dura*;cuanto tarda*;cuantos dias;cuantas horas;"
     "a que hora;que horario*"},
    {"es", I::kProductQuestion, 3, "features", kNone,
     "que incluye;que ofrece*;mas informacion;mas info;cuentame mas;cuentenme mas;"
     "que es exactamente;en que consiste;que es esto;de que se trata;que son;quiero saber mas;"
     "quisiera saber mas;info por favor"},
    {"es", I::kOther, 3, "meta", kNone,
     "me entiendes;me entiende;hay alguien;hay alguien ahi;eres un bot;eres un robot;"
     "eres una persona"},

    // ---------------------------------------------------------------- French
    {"fr", I::kGreeting, 2, "", kNone,
     "bonjour;bonsoir;salut;coucou;bjr;slt;allo;hello;re bonjour"},
    {"fr", I::kSmalltalk, 2, "thanks", kNone,
     "merci;merci beaucoup;merci bien;je vous remercie;merci quand meme;mille mercis;"
     "merci pour l info;merci pour les infos;merci pour l information;merci pour votre aide"},
    {"fr", I::kSmalltalk, 2, "howareyou", kNone,
     "ca va;comment allez vous;comment ca va;vous allez bien;tu vas bien"},
    {"fr", I::kSmalltalk, 2, "bye", kNone,
     "bonne journee;bonne soiree;a bientot;au revoir;a plus;bonne nuit;bon week end"},
    {"fr", I::kSmalltalk, 1.5, "ack", kNone,
     "ok;d accord;super;genial;parfait;top;cool;mdr;lol;haha*;tres bien;nickel;entendu;"
     "ca marche;pas de souci;pas de probleme;bien recu;je vois"},
    {"fr", I::kPriceQuestion, 3, "", kNone,
     "combien;c est combien;ca coute combien;combien ca coute;combien coute*;prix;tarif*;"
     "cout;quel est le prix;quel prix;ca coute;coute"},
    {"fr", I::kPriceQuestion, 3, "discount", kNone,
     "reduction*;remise*;promo*;code promo;rabais;reduc;prix etudiant;tarif etudiant"},
    {"fr", I::kPurchaseIntent, 3, "", kNegatable,
     "je veux l acheter;je le prends;je la prends;je les prends;je prends;je l achete;"
     "je veux acheter;je voudrais acheter;je voudrais commander;je veux commander;"
     "comment commander;comment acheter;ou acheter;ou commander;je commande;m abonner;"
     "je m abonne;je m inscris;je veux m inscrire;s inscrire;comment s inscrire;"
     "m inscrire;je suis partant*;je veux essayer;allons y;c est parti;je signe;"
     "je reserve;je valide;je veux m abonner;je souhaite m abonner;je souhaite commander;"
     "comment je fais pour m abonner;comment je fais pour commander;on y va;m inscris;"
     "je m inscris;je reserve"},
    {"fr", I::kPurchaseIntent, 2, "", kNegatable,
     "acheter;commander;abonner;inscription;inscrire;essayer;reserver;souscrire"},
    {"fr", I::kObjection, 3, "price", kNone,
     "trop cher;trop chere;trop chers;hors de prix;pas les moyens;trop pour moi;pas de budget;"
     "pas dans mon budget;un peu cher;assez cher;c est cher"},
    {"fr", I::kObjection, 2, "price", kNone, "cher;chere;budget"},
    {"fr", I::kObjection, 3, "think", kNone,
     "je vais reflechir;je dois reflechir;laissez moi reflechir;je vais y reflechir;"
     "y reflechir;reflechir;je reflechis;pas encore;je vais voir;je dois en parler;en parler a;"
     "en parler avec;parler a mon;parler a ma;parler avec mon;parler avec ma;je vous redis;"
     "je reviens vers vous"},
    {"fr", I::kObjection, 3, "doubt", kNone,
     "pas sur;pas sure;pas certain*;je ne suis pas sur*;je sais pas si;je ne sais pas si;"
     "pas convaincu*;pas pour moi;ce soit pour moi;j hesite;je doute"},
    {"fr", I::kObjection, 3, "competitor", kNone,
     "deja un autre;j ai deja;on a deja;nous avons deja;on utilise deja;utilise deja;"
     "utilisons deja;deja client;un concurrent;autre fournisseur"},
    {"fr", I::kObjection, 1, "competitor", kNone, "deja;un autre"},
    {"fr", I::kObjection, 3, "time", kNone,
     "pas le temps;n ai pas le temps;pas de temps;trop occupe*;pas maintenant;"
     "pas en ce moment;plus tard;une autre fois"},
    {"fr", I::kObjection, 3, "interest", kNone,
     "pas interesse*;ne m interesse pas;m interesse pas;non merci;arretez de m ecrire;"
     "laissez moi tranquille;pas besoin;je ne veux pas;je veux pas;laisse tomber;tant pis;"
     "oubliez;je passe"},
    {"fr", I::kObjection, 3, "renting", kNone,
     "locataire;en location;je loue;nous louons;mon proprietaire;notre proprietaire"},
    {"fr", I::kObjection, 3, "shipping", kNone, "trop long;trop longtemps;trop lent"},
    {"fr", I::kComplaint, 3, "", kNone,
     "arnaque*;escroquerie;escroc*;nul;nulle;honteux;honte;inadmissible;inacceptable;"
     "scandal*;horrible;catastroph*;ne marche pas;marche pas;ne fonctionne pas;"
     "fonctionne pas;plante;bug*;en panne;casse*;jamais recu;pas recu;toujours pas recu;"
     "jamais arrive;rembourse*;preleve*;plainte;reclamation;decu*;decevant;furieux;"
     "mecontent*;personne ne repond;aucune reponse;service client nul;n importe quoi;"
     "pas normal;manque de respect;personne n est venu;personne n est venue;debite*;"
     "ne se chargent;ne se charge pas;ne charge pas"},
    {"fr", I::kComplaint, 2, "", kNone, "probleme avec ma;probleme avec mon;deux fois;fache*"},
    {"fr", I::kHumanRequest, 4, "", kNone,
     "parler a un humain;parler a une personne;parler a quelqu un;parler avec quelqu un;"
     "parler a un conseiller;parler avec un conseiller;un conseiller;une conseillere;"
     "un humain;une vraie personne;un agent;appelez moi;rappelez moi;m appeler;me rappeler;"
     "par telephone;un commercial;le service client;quelqu un de chez vous;un vendeur"},
    {"fr", I::kHumanRequest, 2, "", kNone, "conseiller;quelqu un;humain;vraie personne"},
    {"fr", I::kProductQuestion, 2, "", kNone,
     "est ce que;est ce qu;il y a;y a t il;avez vous;vous avez;vous faites;faites vous;"
     "ca inclut;inclus*;comprend;fonctionn*;comment ca marche;livr*;expedi*;garantie;"
     "taille*;couleur*;disponible*;combien de temps;appli*;application;materiel;il faut;"
     "peut on;je peux;on peut;compatible*;quelle langue;en quelle"},
    {"fr", I::kProductQuestion, 3, "features", kNone,
     "c est quoi;qu est ce que c est;en quoi consiste;plus d info*;plus d informations;"
     "quoi exactement;ca comprend quoi;qu est ce qui est inclus;qu est ce que vous proposez;"
     "en savoir plus"},
    {"fr", I::kOther, 0, "", kNone, "combien de fois;combien de personnes"},
    {"fr", I::kProductQuestion, 3, "", kNone,
     "combien pese*;combien de temps;quelle taille;a quelle heure"},
    {"fr", I::kOther, 3, "meta", kNone,
     "vous me comprenez;tu me comprends;il y a quelqu un;vous etes un robot;tu es un robot;"
     "vous etes la;tu es la"},

    // ---------------------------------------------------------------- German
    {"de", I::kGreeting, 2, "", kNone,
     "hallo;hi;hey;guten morgen;guten tag;guten abend;moin;moin moin;servus;gruss gott;gruezi;"
     "gruss dich;hallihallo;tag;tach"},
    {"de", I::kSmalltalk, 2, "thanks", kNone,
     "danke;danke schon;danke sehr;vielen dank;dankeschon;danke trotzdem;besten dank;merci;"
     "danke fur die info;danke fur die infos;danke fur die information;danke fur ihre hilfe"},
    {"de", I::kSmalltalk, 2, "howareyou", kNone,
     "wie geht es;wie gehts;wie geht es ihnen;wie geht es dir;alles gut"},
    {"de", I::kSmalltalk, 2, "bye", kNone,
     "tschuss;auf wiedersehen;bis bald;bis dann;schonen tag;schones wochenende;ciao"},
    {"de", I::kSmalltalk, 1.5, "ack", kNone,
     "ok;okay;gut;super;toll;alles klar;haha*;lol;prima;klasse;verstehe;perfekt;cool;"
     "in ordnung;passt"},
    {"de", I::kPriceQuestion, 3, "", kNone,
     "was kostet;wie viel kostet;wieviel kostet;kostet;kosten;preis*;wie teuer;"
     "was kostet der spass;was muss ich zahlen;was zahle ich"},
    {"de", I::kPriceQuestion, 3, "discount", kNone,
     "rabatt*;gutschein*;nachlass;sonderangebot;aktion;rabattcode;studentenrabatt"},
    {"de", I::kPurchaseIntent, 3, "", kNegatable,
     "ich nehme es;ich nehme eins;ich nehme das;ich nehme;ich nehm*;ich kaufe*;ich will kaufen;"
     "ich mochte kaufen;ich mochte bestellen;ich will bestellen;ich bestelle;bestelle*;"
     "wo kann ich bestellen;wie kann ich bestellen;wo kann ich kaufen;wie kann ich kaufen;"
     "ich bin dabei;abgemacht;wie kann ich mich anmelden;ich melde mich an;anmelden;"
     "registrieren;abonnieren;jetzt kaufen;her damit;kaufe ich;nehme ich;will ich haben;"
     "mochte ich haben;mochte eins"},
    {"de", I::kPurchaseIntent, 2, "", kNegatable, "kaufen;bestellen;buchen;bestellung aufgeben"},
    {"de", I::kObjection, 3, "price", kNone,
     "zu teuer;zu viel geld;kein budget;nicht leisten;kann ich mir nicht leisten;zu hoch;"
     "ziemlich teuer;recht teuer;sehr teuer;ganz schon teuer;zu viel"},
    {"de", I::kObjection, 2, "price", kNone, "teuer"},
    {"de", I::kObjection, 3, "think", kNone,
     "muss ich uberlegen;muss uberlegen;uberleg*;nachdenken;denke daruber nach;"
     "denk daruber nach;noch nicht;schlaf noch;mal schauen;mal sehen;melden uns;melde mich;"
     "mit meinem partner;mit meiner frau;mit meinem mann;mit meinem chef;rucksprache"},
    {"de", I::kObjection, 3, "doubt", kNone,
     "nicht sicher;bin mir nicht sicher;weiss nicht ob;unsicher;nicht uberzeugt;"
     "nichts fur mich"},
    {"de", I::kObjection, 3, "competitor", kNone,
     "nutzen schon;nutze schon;nutzen bereits;nutze bereits;haben schon;habe schon;"
     "haben bereits;habe bereits;verwenden schon;arbeiten schon mit;konkurrenz;"
     "anderen anbieter;anderes tool"},
    {"de", I::kObjection, 3, "time", kNone,
     "keine zeit;zu beschaftigt;gerade nicht;jetzt nicht;spater;ein andermal"},
    {"de", I::kObjection, 3, "interest", kNone,
     "kein interesse;nicht interessiert;nein danke;brauche ich nicht;brauche es nicht;"
     "nicht fur mich;lasst mich in ruhe;lassen sie mich in ruhe;will ich nicht;"
     "mochte ich nicht;lass ich es;lasse ich es;lass es;dann nicht;vergiss es;schade"},
    {"de", I::kObjection, 3, "renting", kNone,
     "zur miete;mieter;mieterin;mietwohnung;vermieter;wir mieten;ich miete"},
    {"de", I::kObjection, 3, "shipping", kNone,
     "dauert zu lange;zu lange;dauert mir zu lange;zu langsam"},
    {"de", I::kComplaint, 3, "", kNone,
     "betrug*;abzocke;unverschamt;frechheit;katastrophe;schrecklich;furchtbar;mies;"
     "enttauscht*;enttauschend;argerlich;verargert;funktioniert nicht;kaputt;defekt;"
     "nie angekommen;nicht angekommen;immer noch nicht da;noch nicht da;nie etwas bekommen;"
     "nichts bekommen;nie bekommen;erstattung;ruckerstattung;geld zuruck;beschwerde;"
     "reklamation;doppelt abgebucht;keiner antwortet;niemand antwortet;schlechter service;"
     "unmoglich;sauer;wutend;ein witz;niemand meldet sich;keiner meldet sich;niemand kam;"
     "respektlos;warte seit"},
    {"de", I::kComplaint, 2, "", kNone,
     "schlecht;geht nicht;problem mit meiner;problem mit meinem"},
    {"de", I::kHumanRequest, 4, "", kNone,
     "mit einem menschen;mit einem mitarbeiter;mit einer mitarbeiterin;mit jemandem;"
     "jemandem reden;jemandem sprechen;einen menschen;echten person;echten menschen;"
     "mit einem berater;kundenservice;kundendienst;rufen sie mich an;ruft mich an;"
     "anrufen;zuruckrufen;ruckruf;mit dem vertrieb;mit einer person"},
    {"de", I::kHumanRequest, 2.5, "", kNone, "mitarbeiter;berater;mensch;jemand;sprechen;reden"},
    {"de", I::kProductQuestion, 2, "", kNone,
     "gibt es;haben sie;habt ihr;kann man;kann ich;wie lange;wie funktioniert;funktioniert;"
     "versand*;versendet;versenden;liefer*;garantie;grosse*;farbe*;zubereit*;haltbar*;"
     "enthalten;inklusive;zoll;wie bereite*;ist der;ist das;ist es;sind die;welche;"
     "wie viel;wieviel"},
    {"de", I::kProductQuestion, 3, "", kNone, "wie schwer;wie gross;wie lange;um wie viel uhr"},
    {"de", I::kProductQuestion, 3, "features", kNone,
     "was ist das;was ist drin;was beinhaltet;was ist enthalten;mehr informationen;mehr infos;"
     "erzahl mir mehr;erzahlen sie mir mehr;was bekomme ich;worum geht es;mehr erfahren"},
    {"de", I::kOther, 3, "meta", kNone,
     "verstehen sie mich;konnen sie mich verstehen;verstehst du mich;ist da jemand;"
     "bist du ein bot;sind sie ein bot;bist du ein roboter"},

    // ---------------------------------------------------------------- Portuguese
    {"pt", I::kGreeting, 2, "", kNone,
     "ola;oi;oii*;oie;bom dia;boa tarde;boa noite;e ai;eae;salve;opa;ola tudo bem;oi tudo bem;"
     "alo"},
    {"pt", I::kSmalltalk, 2, "thanks", kNone,
     "obrigad*;obg;valeu;vlw;brigad*;muito obrigad*;agradeco;obrigado pela informacao;"
     "obrigada pela informacao;obrigado pela info;obrigada pela info"},
    {"pt", I::kSmalltalk, 2, "howareyou", kNone,
     "tudo bem;tudo bom;como vai;como voce esta;tudo certo;tudo otimo;beleza"},
    {"pt", I::kSmalltalk, 2, "bye", kNone, "tchau;ate mais;ate logo;bom fim de semana;abraco*"},
    {"pt", I::kSmalltalk, 1.5, "ack", kNone,
     "ok;blz;kkk*;haha*;rsrs*;legal;show;top;entendi;certo;bom;otimo;perfeito;massa;"
     "combinado;beleza;tranquilo"},
    {"pt", I::kPriceQuestion, 3, "", kNone,
     "quanto custa;quanto e;quanto sai;quanto fica;preco*;qual o valor;qual e o valor;"
     "valores;custo;custa;quanto cobram;qual o investimento;investimento"},
    {"pt", I::kPriceQuestion, 2, "", kNone, "quanto"},
    {"pt", I::kPriceQuestion, 2.5, "", kNone, "valor"},
    {"pt", I::kPriceQuestion, 3, "discount", kNone, "desconto*;promocao;cupom;cupons"},
    {"pt", I::kPurchaseIntent, 3, "", kNegatable,
     "quero comprar;quero contratar;vou levar;vou comprar;quero levar;como compro;"
     "como faco para comprar;como faco pra comprar;onde compro;onde posso comprar;"
     "quero fechar;fechado;fechou;bora;quero agendar;quero assinar;vou contratar;"
     "como contrato;como faco para contratar;como faco pra contratar;quero um;quero uma;"
     "pode mandar;manda o link;quero esse;quero essa;vamos fechar;quero me inscrever;"
     "me inscrever;inscrever;quero me matricular;quero reservar"},
    {"pt", I::kPurchaseIntent, 2, "", kNegatable, "comprar;contratar;agendar;assinar"},
    {"pt", I::kObjection, 3, "price", kNone,
     "muito caro*;muito cara;caro demais;cara demais;nao tenho orcamento;sem orcamento;"
     "sem dinheiro;nao tenho dinheiro;nao cabe no orcamento;fora do orcamento;salgado;"
     "meio caro"},
    {"pt", I::kObjection, 2, "price", kNone, "caro;cara"},
    {"pt", I::kObjection, 3, "think", kNone,
     "vou pensar;preciso pensar;deixa eu pensar;vou ver;vou analisar;te aviso;ainda nao sei;"
     "conversar com meu;conversar com minha;falar com meu;falar com minha;te falo;te retorno"},
    {"pt", I::kObjection, 2, "think", kNone, "pensar"},
    {"pt", I::kObjection, 3, "doubt", kNone,
     "nao sei se;nao tenho certeza;nao me convence;nao e pra mim;nao e para mim"},
    {"pt", I::kObjection, 3, "competitor", kNone,
     "ja tenho;ja temos;ja uso;ja usamos;ja trabalho com;ja trabalhamos com;outra agencia;"
     "outro fornecedor;concorrente"},
    {"pt", I::kObjection, 3, "time", kNone,
     "sem tempo;nao tenho tempo;agora nao;ocupad*;mais tarde;mais pra frente;outra hora"},
    {"pt", I::kObjection, 3, "interest", kNone,
     "nao estou interessad*;nao tenho interesse;sem interesse;nao quero;nao obrigad*;"
     "pare de mandar;nao preciso;nao me interessa;deixa pra la;esquece;deixa quieto"},
    {"pt", I::kObjection, 3, "renting", kNone,
     "aluguel;de aluguel;alugado;alugada;inquilino;inquilina;moro de aluguel"},
    {"pt", I::kObjection, 3, "shipping", kNone, "demora muito;muito demorado;demora demais"},
    {"pt", I::kComplaint, 3, "", kNone,
     "fraude;golpe;golpista*;absurdo;pessimo*;horrivel;terrivel;uma vergonha;vergonha;"
     "nao funciona;nao chegou;nunca chegou;ainda nao chegou;ninguem respond*;"
     "ninguem me respondeu;reembolso;estorno;meu dinheiro de volta;reclamacao;decepcionad*;"
     "nao gostei;cobranca indevida;mal atendimento;atendimento ruim;descaso;lamentavel;"
     "sem autorizacao;quebrado;quebrou;defeito;palhacada;ninguem apareceu;falta de respeito;"
     "um desrespeito"},
    {"pt", I::kComplaint, 2, "", kNone,
     "ruim;cobraram;demorado;problema com meu;problema com minha"},
    {"pt", I::kHumanRequest, 4, "", kNone,
     "falar com um atendente;atendente;falar com alguem;falar com uma pessoa;uma pessoa real;"
     "falar com um humano;um humano;me liga;me ligue;me ligar;falar com um consultor;"
     "falar com o comercial;falar com um vendedor;atendimento humano"},
    {"pt", I::kHumanRequest, 2.5, "", kNone, "alguem;pessoa;humano;ligar;falar com;comercial"},
    {"pt", I::kProductQuestion, 2, "", kNone,
     "tem;voces tem;voces fazem;fazem;como funciona;funciona;incluid*;inclui;o que e;"
     "entrega*;entregam;frete;envio;garantia;tamanho*;quanto tempo;demora;prazo;atendem;"
     "caso de sucesso;casos de sucesso;portfolio;mais detalhes;da pra;e possivel;posso"},
    {"pt", I::kProductQuestion, 3, "", kNone,
     "quanto tempo;quanto pesa;quanto dura;quantos dias;que horas;qual horario"},
    {"pt", I::kProductQuestion, 3, "features", kNone,
     "o que esta incluido;o que inclui;saber mais;mais informac*;o que e isso;"
     "o que voces oferecem;como e;do que se trata;me explica;me conta mais"},
    {"pt", I::kOther, 3, "meta", kNone,
     "voce me entende;tem alguem ai;e um robo;voce e um robo;e robo"},
};

// Chat shorthand, rewritten before matching.
const std::unordered_map<std::string_view, std::string_view>& Shorthand() {
  static const auto* kMap = new std::unordered_map<std::string_view, std::string_view>{
      {"hw", "how"},
      {"u", "you"},
      {"ur", "your"},
      {"r", "are"},
      {"pls", "please"},
      {"plz", "please"},
      {"thx", "thanks"},
      {"ty", "thanks"},
      {"tnx", "thanks"},
      {"q", "que"},
      {"xq", "porque"},
      {"pq", "porque"},
      {"tb", "tambien"},
      {"vc", "voce"},
      {"vcs", "voces"},
      {"c", "c est"},
      {"bjr", "bonjour"},
      {"slt", "salut"},
      {"svp", "s il vous plait"},
      {"stp", "s il te plait"},
      {"obg", "obrigado"},
      {"vlw", "valeu"},
      {"tbm", "tambem"},
      {"msm", "mesmo"},
      {"wieviel", "wie viel"},
      {"k", "ok"},
      {"oki", "ok"},
      {"okey", "ok"},
      {"okk", "ok"},
      {"dnd", "donde"},
      {"cuant", "cuanto"},
      {"qto", "quanto"},
      {"qnto", "quanto"},
  };
  return *kMap;
}

struct CompiledLexicon {
  PhraseMatcher matcher;
  struct Info {
    int group;
    int length;  // tokens, for "the longer phrase wins"
  };
  std::vector<Info> info;  // by phrase id
};

const CompiledLexicon& Lexicon() {
  static const auto* kLexicon = [] {
    auto* lex = new CompiledLexicon();
    for (size_t g = 0; g < std::size(kGroups); ++g) {
      for (std::string_view phrase : SplitList(kGroups[g].phrases)) {
        lex->matcher.Add(phrase);
        const auto length = std::count(phrase.begin(), phrase.end(), ' ') + 1;
        lex->info.push_back({static_cast<int>(g), static_cast<int>(length)});
      }
    }
    return lex;
  }();
  return *kLexicon;
}

const std::unordered_set<std::string_view>& Negators() {
  static const auto* kSet = new std::unordered_set<std::string_view>{
      "not", "no",      "dont", "doesnt",  "didnt",   "never",  "cant",  "wont", "isnt",  "arent",
      "nao", "nunca",   "nem",  "pas",     "ne",      "jamais", "nicht", "kein", "keine", "keinen",
      "nie", "niemals", "ni",   "tampoco", "without", "sin",    "sem",   "ohne", "sans"};
  return *kSet;
}

const std::unordered_set<std::string_view>& QuestionWords() {
  static const auto* kSet = new std::unordered_set<std::string_view>{
      "what",  "how",    "does",    "do",      "is",       "are",    "can",    "could", "where",
      "when",  "which",  "who",     "why",     "will",     "would",  "que",    "como",  "cuando",
      "donde", "cual",   "cuanto",  "cuanta",  "quien",    "tienen", "tiene",  "puedo", "puede",
      "quel",  "quelle", "comment", "combien", "pourquoi", "quand",  "avez",   "was",   "wie",
      "wo",    "wann",   "welche",  "welcher", "gibt",     "kann",   "konnen", "haben", "ist",
      "sind",  "muss",   "qual",    "quais",   "quanto",   "quando", "onde",   "tem",   "posso",
      "pode",  "voces",  "est"};
  return *kSet;
}

// Phrases whose negation word negates nothing ("why not", "no problem").
const PhraseMatcher& NegationCancellers() {
  static const auto* kMatcher = [] {
    auto* m = new PhraseMatcher();
    for (std::string_view p :
         {"why not",      "pourquoi pas",   "por que no",   "porque no",       "warum nicht",
          "por que nao",  "porque nao",     "no problem",   "pas de probleme", "pas de souci",
          "kein problem", "sin problema",   "sem problema", "no worries",      "not bad",
          "pas mal",      "nicht schlecht", "no esta mal",  "nada mal",        "nao e mal",
          "why dont",     "pourquoi ne pas"}) {
      m->Add(p);
    }
    return m;
  }();
  return *kMatcher;
}

// Words that may open a clause before its question word ("and where is ...").
const std::unordered_set<std::string_view>& Openers() {
  static const auto* kSet = new std::unordered_set<std::string_view>{
      "and",  "y",       "et",       "und",   "e",    "but",   "pero", "mais", "aber",
      "mas",  "so",      "entonces", "alors", "dann", "entao", "also", "ok",   "oh",
      "ah",   "nice",    "hmm",      "bueno", "bon",  "vale",  "well", "hi",   "hello",
      "hola", "bonjour", "hallo",    "ola",   "oi",   "y",     "und"};
  return *kSet;
}

std::vector<std::string> MatchTokens(std::string_view text) {
  std::vector<std::string> out;
  const auto& shorthand = Shorthand();
  for (auto& t : TokenizeClauses(text)) {
    const auto it = shorthand.find(t);
    if (it == shorthand.end()) {
      out.push_back(std::move(t));
      continue;
    }
    for (auto& part : Tokenize(it->second)) {
      out.push_back(std::move(part));
    }
  }
  return out;
}

bool HasQuestionMark(std::string_view text) {
  return text.find('?') != std::string_view::npos ||
         text.find("\xC2\xBF") != std::string_view::npos;  // ¿
}

// Intents in tie-break order (first wins a tie).
constexpr Intent kTieOrder[] = {I::kPurchaseIntent, I::kPriceQuestion, I::kObjection,
                                I::kProductQuestion, I::kOther};

struct Scores {
  std::array<double, 10> by_intent{};
  std::vector<bool> covered;            // by token: inside a counted phrase
  std::array<std::string, 10> tag;      // tag of the heaviest phrase of each intent
  std::array<double, 10> tag_weight{};  // its weight
  std::string objection_tag;

  double& operator[](Intent i) { return by_intent[static_cast<int>(i)]; }
  double operator[](Intent i) const { return by_intent[static_cast<int>(i)]; }
  void Add(Intent i, double w, std::string_view t) {
    const int k = static_cast<int>(i);
    by_intent[k] += w;
    if (w > tag_weight[k]) {
      tag_weight[k] = w;
      tag[k] = std::string(t);
    }
  }
};

Scores ScoreTokens(const std::vector<std::string>& tokens, std::string_view language) {
  const auto& lex = Lexicon();
  // A phrase inside a longer matched phrase does not count.
  const auto matches = lex.matcher.FindOutermost(tokens);
  // Each (intent, span) counts once even when several languages list the phrase.
  struct Seen {
    Intent intent;
    int begin;
    int end;
  };
  std::vector<Seen> seen;
  Scores scores;
  scores.covered.assign(tokens.size(), false);
  const auto& negators = Negators();
  std::vector<bool> cancelled(tokens.size(), false);
  for (const auto& c : NegationCancellers().FindAll(tokens)) {
    for (int p = c.begin; p < c.end; ++p) {
      cancelled[p] = true;
    }
  }
  for (const auto& m : matches) {
    const Group& g = kGroups[lex.info[m.phrase].group];
    Intent intent = g.intent;
    std::string_view tag = g.tag;
    double weight = g.weight;
    for (int p = m.begin; p < m.end; ++p) {
      scores.covered[p] = true;
    }
    if (weight <= 0) {
      continue;
    }
    if (!language.empty() && g.lang != language) {
      weight *= 0.8;
    }
    if ((g.flags & kNegatable) && NegatedBefore(tokens, m.begin, 3, [&](int p) {
          return negators.count(tokens[p]) > 0 && !cancelled[p];
        })) {
      intent = I::kObjection;
      tag = "interest";
    }
    const bool dup = std::any_of(seen.begin(), seen.end(), [&](const Seen& s) {
      return s.intent == intent && s.begin == m.begin && s.end == m.end;
    });
    if (dup) {
      continue;
    }
    seen.push_back({intent, m.begin, m.end});
    scores.Add(intent, weight, tag);
  }
  return scores;
}

double Confidence(double best, double second) {
  if (best <= 0) {
    return 0.3;
  }
  const double strength = std::min(0.97, 0.45 + 0.12 * best);
  return strength * (1.0 - 0.5 * std::min(1.0, second / best));
}

// How much of a configured objection the customer's words cover (0..1).
double Overlap(const std::vector<std::string>& text_keys, std::string_view objection) {
  const auto keys = ContentKeys(objection);
  if (keys.empty()) {
    return 0;
  }
  int hit = 0;
  for (const auto& k : keys) {
    for (const auto& t : text_keys) {
      if (SameKey(k, t)) {
        ++hit;
        break;
      }
    }
  }
  return static_cast<double>(hit) / keys.size();
}

struct ObjectionPick {
  std::optional<int> index;
  double overlap = 0;
};

ObjectionPick PickObjection(std::string_view text, std::string_view category,
                            const std::vector<std::string>& objections) {
  ObjectionPick pick;
  const auto text_keys = ContentKeys(text);
  double best = 0;
  for (size_t j = 0; j < objections.size(); ++j) {
    const double overlap = Overlap(text_keys, objections[j]);
    double score = overlap;
    if (!category.empty() && ObjectionCategory(objections[j]) == category) {
      score += 1.0;
    }
    if (score >= 0.5 && score > best) {
      best = score;
      pick.index = static_cast<int>(j);
      pick.overlap = overlap;
    }
    pick.overlap = std::max(pick.overlap, overlap);
  }
  return pick;
}

}  // namespace

std::string ObjectionCategory(std::string_view text) {
  const Scores s = ScoreTokens(MatchTokens(text), "");
  return s[I::kObjection] > 0 ? s.tag[static_cast<int>(I::kObjection)] : "";
}

IntentResult Classify(std::string_view text, std::string_view language,
                      const ClassifierContext& ctx) {
  IntentResult out;
  const auto tokens = MatchTokens(text);
  const bool question_mark = HasQuestionMark(text);
  out.is_question = question_mark;
  const auto& question_words = QuestionWords();
  const auto& openers = Openers();
  bool clause_start = true;
  for (const auto& t : tokens) {
    if (t == kClauseBreak) {
      clause_start = true;
      continue;
    }
    if (clause_start && question_words.count(t)) {
      out.is_question = true;
      break;
    }
    clause_start = clause_start && openers.count(t) > 0;
  }
  int words = 0;
  for (const auto& t : tokens) {
    words += t != kClauseBreak ? 1 : 0;
  }
  if (words == 0) {
    out.intent = ctx.awaiting_answer && !text.empty() ? I::kQualificationAnswer : I::kOther;
    out.confidence = ctx.awaiting_answer && !text.empty() ? 0.5 : 0.1;
    return out;
  }
  Scores s = ScoreTokens(tokens, language);
  // Words no phrase explained: what the message is about beyond its greeting or thanks.
  int uncovered = 0;
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (!s.covered[k] && tokens[k] != kClauseBreak && !IsStopWord(tokens[k])) {
      ++uncovered;
    }
  }

  // The customer restated one of the campaign's own objections in words the lexicons lack.
  if (!ctx.objections.empty() && !out.is_question && s[I::kObjection] < kStrongScore) {
    const auto pick = PickObjection(text, "", ctx.objections);
    if (pick.index && pick.overlap >= 0.67) {
      s.Add(I::kObjection, kStrongScore, "");
    }
  }

  auto finish = [&](Intent intent, double confidence) {
    out.intent = intent;
    out.confidence = confidence;
    out.score = s[intent];
    out.tag = s.tag[static_cast<int>(intent)];
    if (intent == I::kObjection && !ctx.objections.empty()) {
      out.objection_index = PickObjection(text, out.tag, ctx.objections).index;
    }
    return out;
  };
  auto confidence_of = [&](Intent winner) {
    double second = 0;
    for (Intent i : {I::kPurchaseIntent, I::kPriceQuestion, I::kObjection, I::kProductQuestion,
                     I::kHumanRequest, I::kComplaint, I::kOther}) {
      if (i != winner) {
        second = std::max(second, s[i]);
      }
    }
    return Confidence(s[winner], second);
  };

  if (s[I::kHumanRequest] >= kStrongScore) {
    return finish(I::kHumanRequest, confidence_of(I::kHumanRequest));
  }
  if (s[I::kComplaint] >= kStrongScore) {
    return finish(I::kComplaint, confidence_of(I::kComplaint));
  }

  // The best of the intents that ask for something.
  Intent best = I::kOther;
  double best_score = 0;
  for (Intent i : kTieOrder) {
    if (s[i] > best_score) {
      best = i;
      best_score = s[i];
    }
  }
  const std::string& smalltalk_tag = s.tag[static_cast<int>(I::kSmalltalk)];

  if (ctx.awaiting_answer) {
    const bool strong =
        best_score >= kStrongScore && best != I::kProductQuestion && best != I::kOther;
    const bool asks =
        out.is_question && best_score >= 1.5 &&
        (best == I::kProductQuestion || best == I::kPriceQuestion || best == I::kPurchaseIntent);
    // A real question of its own ("are the teachers qualified?") is not an answer.
    const bool own_question = question_mark && words >= 3 && uncovered > 0;
    // Thanks, goodbyes and "how are you" with nothing else answer nothing; nor does "hello??".
    const bool only_social = uncovered == 0 && best_score < 1.5 &&
                             ((s[I::kSmalltalk] > 0 && smalltalk_tag != "ack") ||
                              (question_mark && s[I::kGreeting] > 0));
    if (!strong && !asks && !own_question && !only_social && s[I::kHumanRequest] < 2 &&
        s[I::kComplaint] < 2) {
      out.intent = I::kQualificationAnswer;
      out.confidence = out.is_question ? 0.55 : 0.8;
      return out;
    }
  }

  if (best_score >= 1.5) {
    return finish(best, confidence_of(best));
  }
  if (s[I::kHumanRequest] >= 2) {
    return finish(I::kHumanRequest, confidence_of(I::kHumanRequest) * 0.9);
  }
  if (s[I::kComplaint] >= 2) {
    return finish(I::kComplaint, confidence_of(I::kComplaint) * 0.9);
  }
  // "Hello??" once the conversation runs: are you there? Not a greeting.
  if (question_mark && uncovered == 0 && s[I::kGreeting] > 0 && s[I::kSmalltalk] == 0) {
    out.intent = I::kOther;
    out.confidence = 0.4;
    out.tag = "meta";
    return out;
  }
  // A question about something no phrase names ("Hello! Are these shoes waterproof?").
  if (question_mark && uncovered > 0 && !ContentKeys(text).empty()) {
    s.Add(I::kProductQuestion, 1.5, "");
    return finish(I::kProductQuestion, 0.5);
  }
  if (s[I::kGreeting] > 0) {
    return finish(I::kGreeting, Confidence(s[I::kGreeting], best_score));
  }
  if (s[I::kSmalltalk] > 0) {
    return finish(I::kSmalltalk, Confidence(s[I::kSmalltalk], best_score));
  }
  if (best_score > 0) {
    return finish(best, confidence_of(best) * 0.9);
  }
  if (out.is_question && uncovered > 0) {
    s.Add(I::kProductQuestion, 1.5, "");
    return finish(I::kProductQuestion, 0.5);
  }
  out.intent = I::kOther;
  out.confidence = 0.3;
  return out;
}

}  // namespace salesos::ai
