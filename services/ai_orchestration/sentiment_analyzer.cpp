#include "sentiment_analyzer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "text_analysis.h"

namespace salesos::ai {
namespace {

struct Entry {
  double value;
  std::string_view phrases;  // ';'-separated, PhraseMatcher syntax
};

constexpr Entry kEntries[] = {
    // English
    {3, "excellent;amazing;awesome;love;love it;wonderful;fantastic;brilliant;outstanding"},
    {2.5, "perfect;beautiful;superb"},
    {2,
     "great;happy;glad;helpful;best;excited;recommend;pleased;satisfied;impressive;"
     "well done"},
    {1.5, "good;nice;like;thanks;thank you;cool;interesting;sounds good;appreciate*;cheers"},
    {1, "interested;easy;fine;ok great"},
    {-3,
     "terrible;awful;horrible;worst;hate;scam;fraud;furious;unacceptable;disgusting;"
     "rip off;ripoff;shame on you"},
    {-2.5,
     "disappointed;disappointing;ridiculous;useless;rude;waste;worse;disrespectful;"
     "nobody showed up;no one showed up"},
    {-2,
     "bad;broken;angry;annoying;annoyed;sad;poor;never arrived;nobody answers;"
     "no one answers;not working;doesnt work;does not work;charged twice;complaint;"
     "crash*;upset;frustrat*;damaged;defective;stopped working"},
    {-1.5,
     "problem;wrong;slow;refund;deleted;bug;worried;unhappy;not happy;still waiting;"
     "overcharged"},
    {-1, "issue;expensive;late;unfortunately;confused;difficult;complicated;pricey;stop"},
    // Spanish
    {3, "excelente;increible;encanta;maravill*;fantastic*"},
    {2.5, "genial;perfecto;perfecta;estupendo;estupenda"},
    {2, "me gusta;feliz;contento;contenta;recomiendo;guay;bonito;bonita;lindo;linda"},
    {1.5, "bueno;buena;gracias;gusta;interesante;chulo"},
    {1, "bien"},
    {-3,
     "horrible;terrible;pesimo;pesima;fatal;estafa;fraude;odio;verguenza;vergonzoso;"
     "desastre;inaceptable"},
    {-2.5,
     "decepcionado;decepcionada;decepcion;enfadado;enfadada;enojado;enojada;harto;harta;"
     "lamentable;peor;nunca llego;falta de respeto;una burla"},
    {-2,
     "malo;mala;roto;rota;rotos;rotas;molest*;nadie me responde;nadie responde;"
     "nadie contesta;no funciona;no llego;queja;triste;mal servicio;defectuos*"},
    {-1.5, "problema;lento;reembolso;mal"},
    {-1, "caro;cara;caros;caras"},
    // French
    {3, "excellent;adore;magnifique;formidable;merveill*"},
    {2.5, "genial;parfait;parfaite;ravi;ravie"},
    {2, "super;top;j aime;content;contente;heureux;heureuse;nickel;bravo"},
    {1.5, "merci;aime;sympa;interessant;cool"},
    {1, "bien;bon;bonne"},
    {-3,
     "nul;nulle;arnaque*;escroc*;escroquerie;honteux;honte;inadmissible;inacceptable;"
     "furieux;furieuse;catastroph*;scandal*"},
    {-2.5, "decu;decue;decevant;enerve*;mecontent*;pire;n importe quoi;manque de respect"},
    {-2,
     "mauvais;mauvaise;plante;ne marche pas;marche pas;ne fonctionne pas;jamais recu;"
     "pas recu;triste;personne ne repond;en panne;casse"},
    {-1.5, "probleme;bug;lent;rembours*"},
    {-1, "cher;chere;dommage;preleve*"},
    // German
    {3, "begeistert;wunderbar;fantastisch;hervorragend;liebe es"},
    {2.5, "toll;perfekt;genial;spitze"},
    {2, "super;prima;klasse;gefallt;freue;zufrieden;lecker"},
    {1.5, "gut;danke;cool;interessant"},
    {-3, "schrecklich;furchtbar;betrug*;abzocke;wutend;katastrophe;unverschamt;frechheit"},
    {-2.5, "mies;enttauscht;enttauschend;verargert;schlimm;respektlos;niemand meldet sich"},
    {-2,
     "schlecht;argerlich;sauer;kaputt;defekt;nie angekommen;nicht angekommen;"
     "funktioniert nicht;traurig;unmoglich;beschwerde;nie etwas bekommen;nichts bekommen"},
    {-1.5, "problem;langsam"},
    {-1, "teuer;leider"},
    // Portuguese
    {3, "excelente;adorei;amei;maravilh*;incrivel"},
    {2.5, "otimo;otima;perfeito;perfeita"},
    {2, "gostei;feliz;top;show;lindo;linda;recomendo"},
    {1.5, "legal;gosto;obrigad*;valeu;interessante;massa"},
    {1, "bom;boa"},
    {-3, "pessimo;pessima;horrivel;terrivel;fraude;golpe;absurdo;vergonha;raiva"},
    {-2.5,
     "decepcionad*;irritad*;pior;lamentavel;descaso;palhacada;falta de respeito;"
     "ninguem apareceu"},
    {-2,
     "ruim;chatead*;quebrado;defeito;nao funciona;nao chegou;ninguem respond*;reclamacao;"
     "triste"},
    {-1.5, "problema;demorado;lento;reembolso"},
    {-1, "caro;cara;demora"},
};

constexpr std::string_view kIntensifiers[] = {
    "very",  "really", "so",       "extremely",     "totally",   "absolutely", "too",
    "super", "muy",    "muito",    "mucho",         "demasiado", "tan",        "realmente",
    "tres",  "trop",   "vraiment", "sehr",          "echt",      "wirklich",   "total",
    "voll",  "extrem", "tao",      "completamente", "bastante"};

struct Diminisher {
  std::string_view first;
  std::string_view second;  // "" for one word
};
constexpr Diminisher kDiminishers[] = {{"a", "bit"},   {"a", "little"}, {"slightly", ""},
                                       {"kind", "of"}, {"un", "poco"},  {"algo", ""},
                                       {"un", "peu"},  {"etwas", ""},   {"bisschen", ""},
                                       {"wenig", ""},  {"um", "pouco"}, {"meio", ""}};

struct Compiled {
  PhraseMatcher matcher;
  std::vector<double> values;  // by phrase id
};

const Compiled& Lexicon() {
  static const auto* kCompiled = [] {
    auto* c = new Compiled();
    for (const auto& e : kEntries) {
      for (std::string_view phrase : SplitList(e.phrases)) {
        c->matcher.Add(phrase);
        c->values.push_back(e.value);
      }
    }
    return c;
  }();
  return *kCompiled;
}

const std::unordered_set<std::string_view>& Negators() {
  static const auto* kSet = new std::unordered_set<std::string_view>{
      "not",    "no",  "dont",  "doesnt",  "didnt", "never", "cant",   "wont",  "isnt",   "wasnt",
      "arent",  "nao", "nunca", "nem",     "pas",   "ne",    "jamais", "nicht", "kein",   "keine",
      "keinen", "nie", "ni",    "tampoco", "sin",   "sem",   "ohne",   "sans",  "without"};
  return *kSet;
}

// Emoji and emoticons: the valence of each.
double EmojiValue(char32_t cp) {
  switch (cp) {
    case 0x1F60D:  // 😍
    case 0x1F970:  // 🥰
    case 0x1F929:  // 🤩
    case 0x1F973:  // 🥳
    case 0x2764:   // ❤
    case 0x1F496:  // 💖
    case 0x1F495:  // 💕
      return 3;
    case 0x1F600:
    case 0x1F603:
    case 0x1F604:
    case 0x1F601:
    case 0x1F606:
    case 0x1F60A:
    case 0x1F44D:
    case 0x1F389:
    case 0x1F44F:
    case 0x1F60E:
    case 0x1F618:
    case 0x1F4AF:
    case 0x263A:
      return 2;
    case 0x1F642:
    case 0x1F602:
    case 0x1F923:  // 🙂 😂 🤣
      return 1.5;
    case 0x1F609:
    case 0x1F64F:
    case 0x2705:
    case 0x1F525:
    case 0x1F917:  // 😉 🙏 ✅ 🔥 🤗
      return 1;
    case 0x1F605:  // 😅
      return 0.5;
    case 0x1F92C:  // 🤬
      return -3.5;
    case 0x1F621:
    case 0x1F620:  // 😡 😠
      return -3;
    case 0x1F62D:
    case 0x1F494:  // 😭 💔
      return -2.5;
    case 0x1F624:
    case 0x1F61E:
    case 0x1F622:
    case 0x1F44E:
    case 0x1F4A9:
    case 0x2639:
    case 0x1F629:
    case 0x1F62B:
      return -2;
    case 0x1F641:
    case 0x1F612:
    case 0x1F614:
    case 0x1F61F:
    case 0x1F926:
    case 0x1F644:
    case 0x1F630:
      return -1.5;
    case 0x1F615:
    case 0x1F611:
    case 0x1F631:
    case 0x1F610:
      return -1;
    default:
      return 0;
  }
}

double SymbolsValue(std::string_view text) {
  double sum = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      // ASCII emoticons.
      const std::string_view rest = text.substr(i);
      for (std::string_view face : {":)", ":-)", ":D", ":-D", "<3", ";)"}) {
        if (rest.substr(0, face.size()) == face) {
          sum += 2;
        }
      }
      for (std::string_view face : {":(", ":-(", ":'(", ">:("}) {
        if (rest.substr(0, face.size()) == face) {
          sum -= 2;
        }
      }
      ++i;
      continue;
    }
    sum += EmojiValue(NextCodePoint(text, i));  // kInvalidCodePoint: 0
  }
  return sum;
}

}  // namespace

Sentiment AnalyzeSentiment(std::string_view text, std::string_view /*language*/) {
  const auto tokens = TokenizeClauses(text);
  const auto& lex = Lexicon();
  // Longer phrases win over the words inside them ("not working" over "working").
  const auto matches = lex.matcher.FindOutermost(tokens);
  const auto& negators = Negators();

  double sum = 0;
  std::vector<std::pair<int, int>> counted;  // spans already scored (phrases in two languages)
  for (const auto& m : matches) {
    if (std::find(counted.begin(), counted.end(), std::make_pair(m.begin, m.end)) !=
        counted.end()) {
      continue;
    }
    counted.emplace_back(m.begin, m.end);
    double v = lex.values[m.phrase];
    if (m.begin > 0) {
      const std::string& prev = tokens[m.begin - 1];
      if (std::find(std::begin(kIntensifiers), std::end(kIntensifiers), prev) !=
          std::end(kIntensifiers)) {
        v *= 1.5;
      }
      for (const auto& d : kDiminishers) {
        const bool one = d.second.empty() && prev == d.first;
        const bool two =
            !d.second.empty() && m.begin > 1 && tokens[m.begin - 2] == d.first && prev == d.second;
        if (one || two) {
          v *= 0.6;
          break;
        }
      }
    }
    if (NegatedBefore(tokens, m.begin, 3, [&](int p) { return negators.count(tokens[p]) > 0; })) {
      v *= -0.5;
    }
    sum += v;
  }
  sum += SymbolsValue(text);

  const auto bangs = std::count(text.begin(), text.end(), '!');
  if (sum != 0 && bangs > 0) {
    const double boost = 0.3 * std::min<long>(bangs, 3);
    sum += sum > 0 ? boost : -boost;
  }

  Sentiment out;
  out.score = sum / std::sqrt(sum * sum + 15.0);
  out.score = std::clamp(out.score, -1.0, 1.0);
  out.label = out.score >= kPositiveThreshold   ? "positive"
              : out.score <= kNegativeThreshold ? "negative"
                                                : "neutral";
  return out;
}

}  // namespace salesos::ai
