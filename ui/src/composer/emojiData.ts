// A compact, built-in set of common emoji with their Unicode (CLDR) short names, by category.
// One entry per "|": the emoji, a space, its name. No network and no dependency.
export const EMOJI_DATA: { id: string; list: string }[] = [
  {
    id: "smileys",
    list:
      "😀 grinning face|😃 grinning face with big eyes|😄 grinning face with smiling eyes|😁 beaming face with smiling eyes|" +
      "😆 grinning squinting face|😅 grinning face with sweat|🤣 rolling on the floor laughing|😂 face with tears of joy|" +
      "🙂 slightly smiling face|🙃 upside-down face|😉 winking face|😊 smiling face with smiling eyes|😇 smiling face with halo|" +
      "🥰 smiling face with hearts|😍 smiling face with heart-eyes|🤩 star-struck|😘 face blowing a kiss|😗 kissing face|" +
      "😚 kissing face with closed eyes|😋 face savoring food|😛 face with tongue|😜 winking face with tongue|🤪 zany face|" +
      "😝 squinting face with tongue|🤑 money-mouth face|🤗 smiling face with open hands|🤭 face with hand over mouth|" +
      "🤫 shushing face|🤔 thinking face|🤐 zipper-mouth face|🤨 face with raised eyebrow|😐 neutral face|" +
      "😑 expressionless face|😶 face without mouth|😏 smirking face|😒 unamused face|🙄 face with rolling eyes|" +
      "😬 grimacing face|😌 relieved face|😔 pensive face|😪 sleepy face|🤤 drooling face|😴 sleeping face|" +
      "😷 face with medical mask|🤒 face with thermometer|🤕 face with head-bandage|🤢 nauseated face|🤮 face vomiting|" +
      "🤧 sneezing face|🥵 hot face|🥶 cold face|🥴 woozy face|😵 face with crossed-out eyes|🤯 exploding head|" +
      "🤠 cowboy hat face|🥳 partying face|😎 smiling face with sunglasses|🤓 nerd face|🧐 face with monocle|" +
      "😕 confused face|😟 worried face|🙁 slightly frowning face|😮 face with open mouth|😯 hushed face|" +
      "😲 astonished face|😳 flushed face|🥺 pleading face|😦 frowning face with open mouth|😧 anguished face|" +
      "😨 fearful face|😰 anxious face with sweat|😥 sad but relieved face|😢 crying face|😭 loudly crying face|" +
      "😱 face screaming in fear|😖 confounded face|😣 persevering face|😞 disappointed face|😓 downcast face with sweat|" +
      "😩 weary face|😫 tired face|🥱 yawning face|😤 face with steam from nose|😡 enraged face|😠 angry face|" +
      "🤬 face with symbols on mouth|😈 smiling face with horns|💀 skull|💩 pile of poo|🤡 clown face|👻 ghost|" +
      "👽 alien|🤖 robot|😺 grinning cat|😸 grinning cat with smiling eyes|😹 cat with tears of joy|😻 smiling cat with heart-eyes|" +
      "🙈 see-no-evil monkey|🙉 hear-no-evil monkey|🙊 speak-no-evil monkey",
  },
  {
    id: "people",
    list:
      "👋 waving hand|🤚 raised back of hand|✋ raised hand|🖖 vulcan salute|👌 ok hand|🤌 pinched fingers|" +
      "🤏 pinching hand|✌️ victory hand|🤞 crossed fingers|🤟 love-you gesture|🤘 sign of the horns|🤙 call me hand|" +
      "👈 backhand index pointing left|👉 backhand index pointing right|👆 backhand index pointing up|" +
      "👇 backhand index pointing down|☝️ index pointing up|👍 thumbs up|👎 thumbs down|✊ raised fist|👊 oncoming fist|" +
      "👏 clapping hands|🙌 raising hands|👐 open hands|🤲 palms up together|🤝 handshake|🙏 folded hands|" +
      "✍️ writing hand|💪 flexed biceps|👀 eyes|👁️ eye|🧠 brain|👶 baby|🧒 child|👦 boy|👧 girl|🧑 person|" +
      "👨 man|👩 woman|🧓 older person|🙋 person raising hand|🙇 person bowing|🤦 person facepalming|" +
      "🤷 person shrugging|💁 person tipping hand|🙆 person gesturing ok|🙅 person gesturing no|" +
      "🧑‍💻 technologist|🧑‍🔧 mechanic|🧑‍🍳 cook|🧑‍🏫 teacher|🧑‍⚕️ health worker|🕵️ detective|💃 woman dancing|" +
      "🕺 man dancing|🏃 person running|🚶 person walking|👥 busts in silhouette|👤 bust in silhouette",
  },
  {
    id: "symbols",
    list:
      "❤️ red heart|🧡 orange heart|💛 yellow heart|💚 green heart|💙 blue heart|💜 purple heart|🖤 black heart|" +
      "🤍 white heart|💔 broken heart|💕 two hearts|💖 sparkling heart|💗 growing heart|💯 hundred points|" +
      "💢 anger symbol|💥 collision|💫 dizzy|💦 sweat droplets|💬 speech balloon|💭 thought balloon|💤 zzz|" +
      "✅ check mark button|☑️ check box with check|✔️ check mark|❌ cross mark|❎ cross mark button|➕ plus|➖ minus|" +
      "❓ red question mark|❔ white question mark|❗ red exclamation mark|❕ white exclamation mark|‼️ double exclamation mark|" +
      "⚠️ warning|🚫 prohibited|⛔ no entry|🔴 red circle|🟠 orange circle|🟡 yellow circle|🟢 green circle|🔵 blue circle|" +
      "🟣 purple circle|⚫ black circle|⚪ white circle|⭐ star|🌟 glowing star|✨ sparkles|🔥 fire|⚡ high voltage|" +
      "🎉 party popper|🎊 confetti ball|🔔 bell|🔕 bell with slash|📢 loudspeaker|📣 megaphone|🆗 ok button|🆕 new button|" +
      "🆓 free button|🆘 sos button|ℹ️ information|🔁 repeat button|🔄 counterclockwise arrows button|⬆️ up arrow|" +
      "⬇️ down arrow|⬅️ left arrow|➡️ right arrow|↩️ right arrow curving left|🔝 top arrow|🔜 soon arrow|©️ copyright|®️ registered|™️ trade mark",
  },
  {
    id: "nature",
    list:
      "🐶 dog face|🐱 cat face|🐭 mouse face|🐹 hamster|🐰 rabbit face|🦊 fox|🐻 bear|🐼 panda|🐨 koala|🐯 tiger face|" +
      "🦁 lion|🐮 cow face|🐷 pig face|🐸 frog|🐵 monkey face|🐔 chicken|🐧 penguin|🐦 bird|🦆 duck|🦉 owl|" +
      "🐝 honeybee|🦋 butterfly|🐌 snail|🐞 lady beetle|🐢 turtle|🐍 snake|🐙 octopus|🐬 dolphin|🐳 spouting whale|" +
      "🦄 unicorn|🌸 cherry blossom|🌹 rose|🌻 sunflower|🌷 tulip|🌱 seedling|🌲 evergreen tree|🌳 deciduous tree|" +
      "🌴 palm tree|🌵 cactus|🍀 four leaf clover|🍁 maple leaf|🍂 fallen leaf|☀️ sun|🌤️ sun behind small cloud|" +
      "⛅ sun behind cloud|☁️ cloud|🌧️ cloud with rain|⛈️ cloud with lightning and rain|❄️ snowflake|☃️ snowman|" +
      "🌈 rainbow|🌙 crescent moon|🌍 globe showing europe-africa|🌎 globe showing americas|🌏 globe showing asia-australia|💧 droplet|🌊 water wave",
  },
  {
    id: "food",
    list:
      "🍎 red apple|🍐 pear|🍊 tangerine|🍋 lemon|🍌 banana|🍉 watermelon|🍇 grapes|🍓 strawberry|🍒 cherries|🍑 peach|" +
      "🍍 pineapple|🥑 avocado|🥕 carrot|🌽 ear of corn|🥦 broccoli|🍞 bread|🥐 croissant|🧀 cheese wedge|🍳 cooking|" +
      "🥞 pancakes|🍔 hamburger|🍟 french fries|🍕 pizza|🌭 hot dog|🌮 taco|🌯 burrito|🥗 green salad|🍝 spaghetti|" +
      "🍜 steaming bowl|🍣 sushi|🍦 soft ice cream|🍩 doughnut|🍪 cookie|🎂 birthday cake|🍰 shortcake|🧁 cupcake|" +
      "🍫 chocolate bar|🍬 candy|🍿 popcorn|☕ hot beverage|🍵 teacup without handle|🥤 cup with straw|🍺 beer mug|" +
      "🍻 clinking beer mugs|🍷 wine glass|🥂 clinking glasses|🍾 bottle with popping cork",
  },
  {
    id: "activities",
    list:
      "⚽ soccer ball|🏀 basketball|🏈 american football|⚾ baseball|🎾 tennis|🏐 volleyball|🎱 pool 8 ball|🏓 ping pong|" +
      "⛳ flag in hole|🏆 trophy|🥇 1st place medal|🥈 2nd place medal|🥉 3rd place medal|🏅 sports medal|🎯 bullseye|" +
      "🎮 video game|🎲 game die|🧩 puzzle piece|🎨 artist palette|🎬 clapper board|🎤 microphone|🎧 headphone|" +
      "🎵 musical note|🎶 musical notes|🎸 guitar|🎹 musical keyboard|🎁 wrapped gift|🎈 balloon|🎄 christmas tree|🎃 jack-o-lantern",
  },
  {
    id: "travel",
    list:
      "🚗 automobile|🚕 taxi|🚌 bus|🚑 ambulance|🚒 fire engine|🚓 police car|🚚 delivery truck|🚲 bicycle|🛵 motor scooter|" +
      "🚂 locomotive|🚆 train|🚇 metro|✈️ airplane|🛫 airplane departure|🛬 airplane arrival|🚀 rocket|🚁 helicopter|" +
      "⛵ sailboat|🚢 ship|⚓ anchor|⛽ fuel pump|🚦 vertical traffic light|🚧 construction|🗺️ world map|🏠 house|" +
      "🏢 office building|🏬 department store|🏥 hospital|🏦 bank|🏨 hotel|🏪 convenience store|🏫 school|🏭 factory|" +
      "⛺ tent|🏖️ beach with umbrella|🗽 statue of liberty|🗼 tokyo tower|🌃 night with stars|🌅 sunrise",
  },
  {
    id: "objects",
    list:
      "📦 package|📫 closed mailbox with raised flag|📮 postbox|✉️ envelope|📧 e-mail|📨 incoming envelope|📩 envelope with arrow|" +
      "📝 memo|📄 page facing up|📃 page with curl|📑 bookmark tabs|📊 bar chart|📈 chart increasing|📉 chart decreasing|" +
      "📋 clipboard|📌 pushpin|📎 paperclip|🔗 link|✂️ scissors|🗂️ card index dividers|📁 file folder|📂 open file folder|" +
      "📅 calendar|📆 tear-off calendar|🗓️ spiral calendar|⏰ alarm clock|⏳ hourglass not done|⌛ hourglass done|⏱️ stopwatch|" +
      "🕒 three o’clock|📱 mobile phone|☎️ telephone|📞 telephone receiver|💻 laptop|🖥️ desktop computer|⌨️ keyboard|" +
      "🖱️ computer mouse|🖨️ printer|💾 floppy disk|💿 optical disk|📷 camera|🎥 movie camera|📺 television|🔋 battery|" +
      "🔌 electric plug|💡 light bulb|🔦 flashlight|🔍 magnifying glass tilted left|🔎 magnifying glass tilted right|" +
      "🔒 locked|🔓 unlocked|🔑 key|🔨 hammer|🔧 wrench|🔩 nut and bolt|⚙️ gear|🧰 toolbox|🛠️ hammer and wrench|" +
      "💰 money bag|💳 credit card|💵 dollar banknote|💶 euro banknote|💷 pound banknote|🧾 receipt|🛒 shopping cart|" +
      "🛍️ shopping bags|🎫 ticket|🏷️ label|📚 books|📖 open book|✏️ pencil|🖊️ pen|🖋️ fountain pen|🗑️ wastebasket|🚪 door|🛏️ bed|🧹 broom|🧴 lotion bottle",
  },
];
